import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SalusClient, SupplyClient, Wallet } from '@salus/client';
import { SalusError, toHex, type Canonical } from '@salus/core';
import { checkDigit } from '@salus/supply';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import type { DemoOrg } from './seed.js';

/** What the demo supply chain planted, for the commands the local network prints. */
export interface DemoSupply {
  readonly node: string;
  readonly manufacturer: string;
  readonly wholesaler: string;
  readonly pharmacy: string;
  readonly gtin: string;
  readonly lot: string;
  readonly expiry: string;
  readonly packs: number;
  /** a pack at the pharmacy, good to dispense */
  readonly good: string;
  /** a serial no manufacturer commissioned */
  readonly counterfeit: string;
  /** a pack of the recalled lot */
  readonly recalled: { readonly serial: string; readonly lot: string };
  /** a serial already dispensed: a second pack with its code is a clone */
  readonly cloned: string;
  readonly keysDir: string;
}

const ed = createNativeEd25519();
const PREFIX = { manufacturer: '0355555', wholesaler: '0366666', pharmacy: '0377777' } as const;
const ITEM = '12345';
const CASE = 50;

type Role = 'regulator' | keyof typeof PREFIX;
const KIND: Record<Role, string> = { regulator: 'regulator', manufacturer: 'manufacturer', wholesaler: 'distributor', pharmacy: 'pharmacy' };

/** Adds an organisation by governance: proposed by the first founding organisation, voted by the others until it passes. */
async function addOrg(client: SalusClient, founders: readonly DemoOrg[], id: string, kind: string, dir: string): Promise<DemoOrg> {
  const admin = Wallet.create(ed);
  writeFileSync(join(dir, `${id}-admin.json`), JSON.stringify(admin.export(), null, 2) + '\n', { mode: 0o600 });
  const org = { id, name: `Demo ${kind} (${id})`, kind, adminKey: admin.publicKeyHex, encryptionKey: toHex(admin.encryptionPublicKey) };
  const r = await client.send(founders[0]!.admin, 'governance', 'propose', { action: { kind: 'add_org', org } } as unknown as Canonical);
  const proposed = r.result.events.find((e) => e.type === 'governance.proposed')!.attributes as { proposal: string; status: string };
  let status = proposed.status;
  for (const f of founders.slice(1)) {
    if (status !== 'open') break;
    const v = await client.send(f.admin, 'governance', 'vote', { proposal: proposed.proposal, approve: true });
    status = (v.result.events.find((e) => e.type === 'governance.voted')!.attributes as { status: string }).status;
  }
  return { id, kind, url: founders[0]!.url, admin };
}

const gtinOf = (cp: string) => {
  const body = `0${cp}${ITEM}`;
  return body + checkDigit(body);
};
const sgtin = (serial: string) => `urn:epc:id:sgtin:${PREFIX.manufacturer}.0${ITEM}.${serial}`;
const sscc = (n: number) => `urn:epc:id:sscc:${PREFIX.manufacturer}.0${String(n).padStart(9, '0')}`;
const pgln = (cp: string) => `urn:epc:id:pgln:${cp}.00000`;
const sgln = (cp: string) => `urn:epc:id:sgln:${cp}.00000.0`;

/**
 * A drug supply chain on the demo network: a regulator records GS1 company prefixes; a manufacturer
 * commissions packs of two lots, packs them in cases and ships them to a wholesaler, who ships them
 * on to a pharmacy; the pharmacy dispenses one pack (its code, seen again, is a clone), the
 * manufacturer recalls the second lot, and one serial is a counterfeit no one commissioned. Founding
 * organisations of the right kinds play their parts; the missing ones are added by governance.
 */
export async function seedSupply(founders: readonly DemoOrg[], o: { dir: string; packs?: number; now?: number }): Promise<DemoSupply> {
  const dir = join(o.dir, 'supply');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const url = founders[0]!.url;
  const client = new SalusClient({ url, ed });
  const party = {} as Record<Role, DemoOrg>;
  for (const role of ['regulator', 'manufacturer', 'wholesaler', 'pharmacy'] as const) {
    party[role] = founders.find((f) => f.kind === KIND[role]) ?? (await addOrg(client, founders, `demo-${role}`, KIND[role], dir));
  }
  for (const role of ['manufacturer', 'wholesaler', 'pharmacy'] as const) {
    await client.send(party.regulator.admin, 'supply', 'register_prefix', { prefix: PREFIX[role], org: party[role].id });
  }
  const as = (role: Role) => new SupplyClient(client, party[role].admin);
  const time = new Date((o.now ?? Date.now()) - 60_000).toISOString();
  let n = 0;
  const ev = (e: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', eventID: `urn:uuid:5a1d0000-0000-4000-8000-${String(++n).padStart(12, '0')}`, ...e });
  const doc = (eventList: unknown[]) => ({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: time, epcisBody: { eventList } });
  const capture = async (role: Role, events: unknown[]) => {
    const job = await as(role).capture(doc(events));
    if (!job.success) throw new SalusError('EPCIS_RULE', `demo capture by ${role} failed: ${JSON.stringify(job.errors)}`);
  };

  const total = o.packs ?? 1_000;
  const recalledCount = Math.max(CASE, Math.floor(total / 10));
  const serials = Array.from({ length: total }, (_, i) => `D${String(i + 1).padStart(6, '0')}`);
  const good = serials.slice(0, total - recalledCount);
  const bad = serials.slice(total - recalledCount);
  const expiry = '2030-06-30';
  const m = PREFIX.manufacturer;
  await capture('manufacturer', [
    ev({ action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: good.map(sgtin), readPoint: { id: sgln(m) }, ilmd: { 'cbvmda:lotNumber': 'LOT-A1', 'cbvmda:itemExpirationDate': expiry } }),
    ev({ action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: bad.map(sgtin), readPoint: { id: sgln(m) }, ilmd: { 'cbvmda:lotNumber': 'LOT-B2', 'cbvmda:itemExpirationDate': expiry } }),
  ]);
  const cases = Array.from({ length: Math.ceil(total / CASE) }, (_, i) => sscc(i + 1));
  await capture('manufacturer', cases.map((c, i) => ev({ type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', disposition: 'in_progress', parentID: c, childEPCs: serials.slice(i * CASE, (i + 1) * CASE).map(sgtin), readPoint: { id: sgln(m) } })));
  const move = async (from: Role, to: Role) => {
    await capture(from, [ev({ action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit', epcList: cases, readPoint: { id: sgln(PREFIX[from as keyof typeof PREFIX]) }, sourceList: [{ type: 'owning_party', source: pgln(PREFIX[from as keyof typeof PREFIX]) }], destinationList: [{ type: 'owning_party', destination: pgln(PREFIX[to as keyof typeof PREFIX]) }] })]);
    await capture(to, [ev({ action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress', epcList: cases, readPoint: { id: sgln(PREFIX[to as keyof typeof PREFIX]) } })]);
  };
  await move('manufacturer', 'wholesaler');
  await move('wholesaler', 'pharmacy');
  const cloned = good[0]!;
  await capture('pharmacy', [ev({ action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', epcList: [sgtin(cloned)], readPoint: { id: sgln(PREFIX.pharmacy) } })]);
  await as('manufacturer').recall(gtinOf(m), 'LOT-B2', 'demo: a contaminated lot');
  return { node: url, manufacturer: party.manufacturer.id, wholesaler: party.wholesaler.id, pharmacy: party.pharmacy.id, gtin: gtinOf(m), lot: 'LOT-A1', expiry, packs: total, good: good[1]!, counterfeit: 'D999999', recalled: { serial: bad[0]!, lot: 'LOT-B2' }, cloned, keysDir: dir };
}

/** The lines `npm start` prints: how to verify the planted packs. */
export function supplyDemoLines(s: DemoSupply): string[] {
  const v = (serial: string, lot: string, what: string) => `  npx salus supply verify --gtin ${s.gtin} --serial ${serial} --lot ${lot} --expiry ${s.expiry.slice(2).replaceAll('-', '')} --org ${s.pharmacy} --node ${s.node}   # ${what}`;
  return [
    `Drug traceability (${s.packs} packs of GTIN ${s.gtin}: ${s.manufacturer} → ${s.wholesaler} → ${s.pharmacy}; keys in ${s.keysDir}):`,
    v(s.good, s.lot, 'valid'),
    v(s.counterfeit, s.lot, 'counterfeit: unknown serial'),
    v(s.cloned, s.lot, 'cloned code: already dispensed'),
    v(s.recalled.serial, s.recalled.lot, 'recalled lot'),
    `  npx salus supply trace urn:epc:id:sgtin:${PREFIX.manufacturer}.0${ITEM}.${s.good} --node ${s.node}`,
    `  npx salus supply events --biz-step shipping --per-page 5 --node ${s.node}`,
  ];
}
