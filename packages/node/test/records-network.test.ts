import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordsClient, SalusClient, Wallet } from '@salus/client';
import { randomBytes, toHex } from '@salus/core';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, filesContaining, freePortRange, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';
import { observation, allergy, rejection } from './records-fixture.js';

/**
 * Records across four validator processes: a record written through one node is read through the
 * others, and still when its author's node is down; grants and revocations hold on every node;
 * break-glass keys are released by the authoring organisation's node; reads are disclosed by the
 * nodes that served them; erasure shreds the blobs on every node. And a unique marker written
 * inside a record appears in no byte of any node's data directory or log.
 */
const ed = createNativeEd25519();

const containing = filesContaining;

describe('records on a 4-validator network', () => {
  const dir = tempDir('salus-rec-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates, enforces consent on every node, survives the author node going down, discloses, shreds, and never stores the plaintext', async () => {
    const base = await freePortRange(10);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-rec', apiPortBase: base, p2pPortBase: base + 5, config: { ...FAST, records: { blobFetchTimeoutMs: 1000 } } });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const client = (i: number) => new SalusClient({ url: procs[i]!.url, ed });
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((h) => h >= 2), 30_000, 'all four nodes to commit');
    const admin = (i: number) => Wallet.import(JSON.parse(readFileSync(join(localnetHome(dir, i), 'keys', `${nodes[i]!.org}-admin.json`), 'utf8')), ed);
    const member = async (i: number, role: string) => {
      const m = Wallet.create(ed);
      await client(i).send(admin(i), 'identity', 'add_member', { org: nodes[i]!.org, signingKey: m.publicKeyHex, encryptionKey: toHex(m.encryptionPublicKey), role, name: `${role} ${i}` });
      return m;
    };
    const drA = new RecordsClient(client(0), await member(0, 'practitioner'), { orgWallet: admin(0) });
    const insurerB = new RecordsClient(client(3), await member(1, 'practitioner'), { orgWallet: admin(1), purpose: 'payment' });
    const emergencyWallet = await member(3, 'emergency');
    const patientWallet = Wallet.create(ed);
    const patient = new RecordsClient(client(1), patientWallet);
    const at = (rc: RecordsClient, i: number) => new RecordsClient(client(i), rc.wallet).after(Math.max(rc.height, drA.height, patient.height));

    const pid = await patient.registerPatient();
    await patient.grant({ id: 'care', grantee: { org: nodes[0]!.org }, scope: 'all', actions: ['read', 'write'] });
    drA.after(patient.height); // read-your-writes through another node: it answers from at least this height
    const MARKER = `SALUS-MARKER-${toHex(randomBytes(12))}`;
    const obs = (await drA.write(pid, observation(MARKER))).record;
    const alg = (await drA.write(pid, allergy())).record;

    // read through every node: replication over the p2p links
    for (const i of [1, 2, 3]) {
      const r = await at(patient, i).read(obs);
      expect(JSON.stringify(r.resource)).toContain(MARKER);
    }

    // a grant takes effect on every node: the insurer reads the Observation for payment via node 3, not the allergy
    await patient.grant({ id: 'claims', grantee: { org: nodes[1]!.org }, scope: { types: ['Observation'] }, purposes: ['payment'] });
    const insurerAt = (i: number) => new RecordsClient(client(i), insurerB.wallet, { orgWallet: admin(1), purpose: 'payment' }).after(patient.height);
    for (const i of [0, 2, 3]) expect((await insurerAt(i).read(obs)).basis).toBe('grant');
    expect((await rejection(insurerAt(3).read(alg))).code).toBe('CONSENT_REQUIRED');

    // the author's node goes down: every record stays readable through the others
    await stopProcess(procs[0]!);
    for (const i of [1, 2, 3]) expect((await at(patient, i).read(alg)).resource).toMatchObject({ resourceType: 'AllergyIntolerance' });

    // break-glass by the pharmacy's emergency key while the hospital's node (the custodian of its
    // keys) is down: the access commits; the key is released when the hospital's node is back
    const emergency = new RecordsClient(client(3), emergencyWallet, { purpose: 'emergency' }).after(drA.height);
    expect((await rejection(emergency.read(alg))).code).toBe('CONSENT_REQUIRED');
    await emergency.breakGlass(pid, 'unresponsive, suspected anaphylaxis');
    expect((await rejection(emergency.read(alg))).code).toBe('NOT_FOUND'); // allowed now, but no envelope for its key yet
    procs[0] = await startNodeProcess(nodes[0]!.home);
    await waitFor(() => new RecordsClient(client(2), emergencyWallet, { purpose: 'emergency' }).read(alg).then(() => true, () => false), 30_000, 'emergency release by the restarted custodian');

    // revocation holds on every node at the next block
    await patient.revoke('claims');
    for (const i of [0, 1, 2, 3]) expect((await rejection(insurerAt(i).read(obs))).code).toBe('CONSENT_REQUIRED');


    // the accounting: reads served by nodes 2 and 3 are in batches those nodes signed, proven against commits
    const nodeIds = new Set(nodes.map((n) => n.nodeId));
    await waitFor(async () => (await patient.disclosures({ verify: false })).filter((e) => e.kind === 'read:emergency').length > 0, 20_000, 'the emergency read to be disclosed');
    const log = await patient.disclosures();
    const reads = log.filter((e) => e.kind.startsWith('read:'));
    const signers = new Set(reads.map((e) => (e.proven!.decoded as { signer: string }).signer));
    for (const s of signers) expect(nodeIds.has(s)).toBe(true);
    expect(signers.size).toBeGreaterThanOrEqual(3);
    expect(reads.some((e) => e.kind === 'read:grant' && e.detail?.purpose === 'payment')).toBe(true);
    expect(reads.some((e) => e.kind === 'read:emergency')).toBe(true);

    // the marker is in no byte of any node's data directory or log
    const needle = Buffer.from(MARKER);
    expect(containing(dir, needle)).toEqual([]);

    // erasure shreds the ciphertext on every node
    const content = (await client(1).request<{ versions: { content: string }[] }>('GET', `/v1/records/${obs}`)).versions[0]!.content;
    const sample = await at(patient, 2).read(obs, { version: 1 });
    expect(sample.version).toBe(1);
    const ct = await fetchContent(procs[2]!.url, patient.wallet, obs);
    const probe = Buffer.from(ct.subarray(ct.length - 48));
    await waitFor(() => [0, 1, 2, 3].every((i) => containing(join(localnetHome(dir, i), 'data'), probe).length > 0), 20_000, 'the ciphertext on every node');
    await patient.erase();
    await waitFor(() => [0, 1, 2, 3].every((i) => containing(join(localnetHome(dir, i), 'data'), probe).length === 0), 20_000, 'the ciphertext to be shredded on every node');
    for (const i of [0, 1, 2, 3]) expect((await rejection(at(patient, i).read(obs))).code).toBe('ERASED');
    expect((await client(2).request<{ versions: { content: string }[] }>('GET', `/v1/records/${obs}`)).versions[0]!.content).toBe(content);
  });
});

async function fetchContent(url: string, w: Wallet, record: string): Promise<Uint8Array> {
  const path = `/v1/records/${record}/versions/1`;
  const aud = ((await (await fetch(`${url}/v1/status`)).json()) as { nodeId: string }).nodeId;
  const r = await fetch(url + path, { headers: { authorization: w.authorization('salus-rec', { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud }) } });
  const body = (await r.json()) as { content: { bytes: string } };
  return Uint8Array.from(Buffer.from(body.content.bytes, 'base64'));
}
