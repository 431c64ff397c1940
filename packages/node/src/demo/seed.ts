import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordsClient, SalusClient, Wallet } from '@salus/client';
import { Prng } from '@salus/consensus';
import { SalusError, toHex, type Canonical } from '@salus/core';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { createNativeKeyWrap } from '../crypto/native-hpke.js';
import { syntheticPatient } from './synthetic.js';
import { seedContracts, seedPrivateContract, type DemoContract, type DemoPrivateContract } from './contracts.js';
import { seedAnchors, type DemoAnchors } from './anchors.js';
import type { DemoSupply } from './supply.js';

/**
 * Demo data for a local network, through the same SDK a user has: practitioners of the hospital,
 * an insurer's claims service, an emergency clinician; synthetic patients who register with their
 * own wallets, grant the hospital their care, some grant the insurer what a claim needs; and the
 * hospital's records about them, encrypted client-side as always. Key files land in `dir` so a user
 * can act as any of them from the CLI.
 */
export interface DemoOrg {
  readonly id: string;
  readonly kind: string;
  readonly url: string;
  readonly admin: Wallet;
}

export interface DemoSummary {
  readonly patients: { readonly patient: string; readonly keyFile: string; readonly records: readonly { record: string; type: string }[] }[];
  readonly practitioners: readonly { readonly org: string; readonly keyFile: string }[];
  readonly emergency: { readonly org: string; readonly keyFile: string } | null;
  readonly insurer: { readonly org: string; readonly keyFile: string } | null;
  readonly hospital: string;
  /** the hospital's FHIR client (a service key), for the node's FHIR facade */
  readonly fhirClient: { readonly org: string; readonly keyFile: string };
  /** the invoices contract, with the insurer's claims service as payer (absent without an insurer) */
  readonly contract?: DemoContract;
  /** the private coverage contract between the hospital and the insurer (absent without an insurer) */
  readonly privateContract?: DemoPrivateContract;
  /** readings of the hospital's bedside monitor anchored through its node (layer 2) */
  readonly anchors?: DemoAnchors;
  /** the drug supply chain: packs from a manufacturer through a wholesaler to a pharmacy, with planted fakes */
  readonly supply?: DemoSupply;
}

const ed = createNativeEd25519();
const kw = createNativeKeyWrap();

/** Runs `f` after every earlier task of the same key: one wallet's transactions go one at a time (nonces). */
function serialiser() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, f: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(f, f);
    tails.set(key, run.catch(() => undefined));
    return run;
  };
}

function saveKey(path: string, w: Wallet): string {
  writeFileSync(path, JSON.stringify(w.export(), null, 2) + '\n', { mode: 0o600 });
  return path;
}

async function member(org: DemoOrg, role: string, name: string, dir: string): Promise<{ wallet: Wallet; keyFile: string }> {
  const wallet = Wallet.create(ed, kw);
  const client = new SalusClient({ url: org.url, ed });
  await client.send(org.admin, 'identity', 'add_member', { org: org.id, signingKey: wallet.publicKeyHex, encryptionKey: toHex(wallet.encryptionPublicKey), role, name } as Canonical);
  return { wallet, keyFile: saveKey(join(dir, `${org.id}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.json`), wallet) };
}

export async function seedDemo(orgs: readonly DemoOrg[], o: { patients: number; seed: number; dir: string; concurrency?: number; now?: number }, log: (msg: string) => void = () => {}): Promise<DemoSummary> {
  const hospital = orgs.find((x) => x.kind === 'hospital') ?? orgs[0];
  if (!hospital) throw new SalusError('CONFIG', 'demo data needs at least one organisation');
  const insurerOrg = orgs.find((x) => x.kind === 'insurer');
  // the emergency clinician works elsewhere than the hospital that holds the records (a clinic, else the last organisation)
  const emergencyOrg = orgs.find((x) => x.kind === 'clinic') ?? [...orgs].reverse().find((x) => x !== hospital) ?? hospital;
  const keysDir = join(o.dir, 'keys');
  const patientsDir = join(o.dir, 'patients');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  mkdirSync(patientsDir, { recursive: true, mode: 0o700 });

  const practitioners: { wallet: Wallet; keyFile: string }[] = [];
  for (let i = 1; i <= 4; i++) practitioners.push(await member(hospital, 'practitioner', `Practitioner ${i}`, keysDir));
  const emergency = await member(emergencyOrg, 'emergency', 'Emergency clinician', keysDir);
  const insurer = insurerOrg ? await member(insurerOrg, 'service', 'Claims service', keysDir) : null;
  const ehr = await member(hospital, 'service', 'EHR integration', keysDir);
  log(`demo: ${practitioners.length} practitioners of ${hospital.id}, an emergency clinician of ${emergencyOrg.id}${insurer ? `, a claims service of ${insurerOrg!.id}` : ''}`);

  const rng = new Prng(o.seed);
  const now = o.now ?? Date.now();
  const serial = serialiser();
  const summary: DemoSummary['patients'] = [];
  const one = async (i: number, prng: Prng) => {
    const node = orgs[i % orgs.length]!;
    const wallet = Wallet.create(ed, kw);
    const me = new RecordsClient(new SalusClient({ url: node.url, ed }), wallet);
    const pid = await me.registerPatient();
    const data = syntheticPatient(prng, `Patient/${pid}`, now);
    await me.grant({ id: 'hospital-care', grantee: { org: hospital.id }, scope: 'all', actions: ['read', 'write'], purposes: ['treatment', 'operations'] });
    const records: { record: string; type: string }[] = [];
    records.push({ record: (await me.write(pid, { ...data.patient, id: pid })).record, type: 'Patient' });
    if (insurerOrg && i % 3 === 0) {
      await me.grant({ id: 'claims', grantee: { org: insurerOrg.id }, scope: { types: ['Observation', 'Condition', 'MedicationRequest'] }, purposes: ['payment'] });
    }
    const dr = practitioners[i % practitioners.length]!;
    const drClient = new RecordsClient(new SalusClient({ url: hospital.url, ed }), dr.wallet, { orgWallet: hospital.admin }).after(me.height);
    for (const r of data.records) {
      const w = await serial(dr.wallet.publicKeyHex, () => drClient.write(pid, r));
      records.push({ record: w.record, type: r.resourceType });
    }
    summary[i] = { patient: pid, keyFile: saveKey(join(patientsDir, `patient-${String(i + 1).padStart(3, '0')}.json`), wallet), records };
  };
  const streams = Array.from({ length: o.patients }, () => rng.fork());
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < o.patients) {
      const i = next++;
      await one(i, streams[i]!);
      if (++done % 10 === 0 || done === o.patients) log(`demo: ${done}/${o.patients} patients with their records`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, o.patients) }, worker));
  const contract = insurer ? await seedContracts({ url: hospital.url, hospital: hospital.admin, payer: insurer.wallet, dir: o.dir }) : undefined;
  if (contract) log(`demo: contract invoices from ${hospital.id} to ${insurerOrg!.id}'s claims service (3 invoices, 1 paid)`);
  const privateContract = insurerOrg ? await seedPrivateContract({ hospital, insurer: insurerOrg, dir: o.dir }) : undefined;
  if (privateContract) log(`demo: private contract coverage between ${privateContract.parties.join(' and ')} (2 claims)`);
  const anchors = await seedAnchors({ url: hospital.url, org: hospital.id, admin: hospital.admin, dir: o.dir });
  if (anchors) log(`demo: ${anchors.items.length} readings of ${hospital.id}'s bedside monitor anchored in batch ${anchors.batch}`);
  const result: DemoSummary = {
    patients: summary,
    practitioners: practitioners.map((p) => ({ org: hospital.id, keyFile: p.keyFile })),
    emergency: { org: emergencyOrg.id, keyFile: emergency.keyFile },
    insurer: insurer ? { org: insurerOrg!.id, keyFile: insurer.keyFile } : null,
    hospital: hospital.id,
    fhirClient: { org: hospital.id, keyFile: ehr.keyFile },
    ...(contract ? { contract } : {}),
    ...(privateContract ? { privateContract } : {}),
    ...(anchors ? { anchors } : {}),
  };
  writeFileSync(join(o.dir, 'demo.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
