import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@salus/core';
import { waitFor } from './net-harness.js';
import { fakeClock } from './fake-clock.js';
import { allergy, observation, recordsWorld, rejection, type RecordsWorld } from './records-fixture.js';

/**
 * Patient-controlled records on one node, through the SDK and the node's API: writes, grants by
 * type, revocation, expiry, break-glass with custodian release, the accounting of disclosures with
 * proofs, and erasure by crypto-shredding.
 */
let w: RecordsWorld;
/** the node's clock: consent expiry is tested by moving it, not by sleeping */
const clock = fakeClock();
beforeAll(async () => {
  w = await recordsWorld({}, clock);
});
afterAll(async () => {
  await w.t.close();
});

const clinicKey = () => toHex(w.wallets.clinicAdmin.encryptionPublicKey);
let obs: string;
let alg: string;

describe('records', () => {
  it("a node with its organisation's key advertises the SMART token endpoint of its FHIR facade", async () => {
    const conf = (await (await fetch(`${w.t.url}/fhir/R4/.well-known/smart-configuration`)).json()) as { token_endpoint: string };
    expect(conf.token_endpoint).toBe(`${w.t.url}/fhir/R4/auth/token`);
  });

  it('a practitioner with a write grant writes; the patient lists and decrypts', async () => {
    await w.patient.grant({ id: 'hospital-care', grantee: { org: 'founding-hospital' }, scope: 'all', actions: ['read', 'write'], purposes: ['treatment'] });
    obs = (await w.drA.write(w.pid, observation('first'))).record;
    alg = (await w.drA.write(w.pid, allergy())).record;
    const { versions } = await w.patient.list(w.pid, 'patient-request');
    expect(versions.map((v) => v.record).sort()).toEqual([obs, alg].sort());
    const r = await w.patient.read(obs, { purpose: 'patient-request' });
    expect(r.resource).toMatchObject({ resourceType: 'Observation', note: [{ text: 'first' }] });
    expect(r.basis).toBe('patient');
    expect((await w.patient.read(alg)).emergency).toBe(true);
    // the author's organisation reads what it wrote
    expect((await w.drA.read(obs)).basis).toBe('author');
  });

  it('a grantee reads what it was granted, and nothing else', async () => {
    expect((await rejection(w.drB.read(obs))).code).toBe('CONSENT_REQUIRED');
    const g = await w.patient.grant({ id: 'clinic-obs', grantee: { org: 'clinic-b' }, scope: { types: ['Observation'] }, purposes: ['treatment'] });
    expect(g.rewrapped).toBe(1); // the patient's wallet wrapped the existing Observation for the clinic
    const r = await w.drB.read(obs);
    expect(r.basis).toBe('grant');
    expect(r.resource).toMatchObject({ note: [{ text: 'first' }] });
    expect((await rejection(w.drB.read(alg))).code).toBe('CONSENT_REQUIRED'); // another type
    expect((await rejection(w.drB.read(obs, { purpose: 'research' }))).code).toBe('CONSENT_REQUIRED'); // another purpose
    expect((await w.drB.list(w.pid)).versions.map((v) => v.record)).toEqual([obs]);
    // a new version by the author is wrapped for the live grantee too
    await w.drA.write(w.pid, observation('second'), { record: obs });
    expect((await w.drB.read(obs)).resource).toMatchObject({ note: [{ text: 'second' }] });
  });

  it('after revocation the grantee reads nothing, and later versions carry no envelope for it', async () => {
    await w.patient.revoke('clinic-obs');
    expect((await rejection(w.drB.read(obs, { version: 1 }))).code).toBe('CONSENT_REQUIRED');
    const v3 = await w.drA.write(w.pid, observation('third'), { record: obs });
    const meta = (await w.t.client.request<{ versions: { envelopes: { to: string }[] }[] }>('GET', `/v1/records/${obs}`)).versions;
    expect(meta[1]!.envelopes.map((e) => e.to)).toContain(clinicKey());
    expect(meta[v3.version - 1]!.envelopes.map((e) => e.to)).not.toContain(clinicKey());
    expect((await rejection(w.drB.read(obs))).code).toBe('CONSENT_REQUIRED');
    // a revoked grant id cannot be revived
    expect((await rejection(w.patient.grant({ id: 'clinic-obs', grantee: { org: 'clinic-b' }, scope: 'all' }))).code).toBe('CONFLICT');
  });

  it("an expired grant reads nothing once the node's clock passes its end", async () => {
    const app = { key: w.wallets.app.publicKeyHex, encryptionKey: toHex(w.wallets.app.encryptionPublicKey) };
    await w.patient.grant({ id: 'app-short', grantee: app, scope: { records: [obs] }, purposes: ['patient-request'], until: clock.now() + 20_000 });
    expect((await w.app.read(obs, { purpose: 'patient-request' })).resource).toMatchObject({ note: [{ text: 'third' }] });
    const height = w.t.node.chain.lastHeight();
    // past `until` and past the ledger's staleness limit (15 s), within the request skew (5 min)
    clock.advance(21_000);
    expect((await rejection(w.app.read(obs, { purpose: 'patient-request' }))).code).toBe('CONSENT_REQUIRED');
    // consensus takes the jump: blocks keep committing, stamped with the moved clock, and reads resume
    await waitFor(() => w.t.node.chain.lastHeight() > height + 1, 10_000, 'a block after the jump');
    expect(w.t.node.chain.lastHeader()!.time).toBeGreaterThan(Date.now() + 15_000);
    expect((await w.patient.read(obs, { purpose: 'patient-request' })).basis).toBe('patient');
  });

  it('break-glass: only an emergency role; time-limited read of the emergency data set, released by the custodian', async () => {
    expect((await rejection(w.drB.breakGlass(w.pid, 'unconscious in ED'))).code).toBe('FORBIDDEN');
    expect((await rejection(w.emergencyB.read(alg))).code).toBe('CONSENT_REQUIRED');
    await w.emergencyB.breakGlass(w.pid, 'unconscious in ED', 3600_000);
    await w.t.node.records.idle();
    await waitFor(() => w.emergencyB.read(alg).then(() => true, () => false), 10_000, 'the custodian to release the emergency envelope');
    const r = await w.emergencyB.read(alg);
    expect(r.basis).toBe('emergency');
    expect(r.resource).toMatchObject({ resourceType: 'AllergyIntolerance' });
    expect((await rejection(w.emergencyB.read(obs))).code).toBe('CONSENT_REQUIRED'); // not in the emergency set
  });

  it('the patient reads every disclosure, each proven against the commit', async () => {
    await waitFor(() => w.t.node.records.index.pendingCount === 0, 10_000, 'disclosures to commit');
    const log = await w.patient.disclosures();
    const reads = log.filter((e) => e.kind.startsWith('read:'));
    expect(reads.some((e) => e.kind === 'read:grant' && e.detail?.reader === w.wallets.drB.publicKeyHex)).toBe(true);
    const em = reads.find((e) => e.kind === 'read:emergency');
    expect(em?.detail).toMatchObject({ reader: w.wallets.emergencyB.publicKeyHex, purpose: 'emergency', record: alg, servedBy: w.t.node.nodeId });
    // every read carries the reader's own signature over the request, which the patient checks
    expect(reads.every((e) => e.detail?.readerSigned === true)).toBe(true);
    expect(log.some((e) => e.kind === 'break_glass')).toBe(true);
    expect(log.some((e) => e.kind === 'revoke')).toBe(true);
    expect(log.filter((e) => e.kind === 'write').length).toBe(4);
    for (const e of log) expect(e.proven?.status).toBe('committed');
    // paged with a cursor: the same entries, in the same order, none lost at page boundaries
    const paged = await w.patient.disclosures({ verify: false, pageSize: 3 });
    expect(paged.map((e) => `${e.height}.${e.index}.${e.seq}`)).toEqual(log.map((e) => `${e.height}.${e.index}.${e.seq}`));
    expect((await rejection(w.patient.client.request('GET', `/v1/records/patients/${w.pid}/disclosures?after=x`, { headers: { authorization: w.wallets.patient.authorization('salus-test', { method: 'GET', path: `/v1/records/patients/${w.pid}/disclosures?after=x`, purpose: 'patient-request', bodyHash: '', aud: w.t.node.nodeId }) } }))).code).toBe('INVALID_FIELD');
    const metrics = await (await fetch(`${w.t.url}/metrics`)).text();
    expect(metrics).toMatch(/salus_records_reads_total\{basis="emergency"\} [1-9]/);
    expect(metrics).toMatch(/salus_records_refused_total\{code="CONSENT_REQUIRED"\} [1-9]/);
    expect(metrics).toMatch(/salus_records_disclosures_pending 0/);
    expect(metrics).toMatch(/salus_blobs_stored [1-9]/);
    // nobody else reads the accounting
    expect((await rejection(w.drA.client.request('GET', `/v1/records/patients/${w.pid}/disclosures`))).code).toBe('BAD_SIGNATURE');
  });

  it('erasure: every blob of the patient is deleted from the store and its files; reads and writes fail with ERASED; the erasure is on the ledger', async () => {
    const before = await w.t.client.request<{ versions: { content: string }[] }>('GET', `/v1/records/${obs}`);
    const ciphertext = (await w.t.node.records.blobs.get(before.versions[0]!.content))!;
    const probe = Buffer.from(ciphertext.subarray(ciphertext.length - 48));
    // every file under the data directory, the modules' own directories too
    const inDataDir = () => readdirSync(join(w.t.home, 'data'), { recursive: true, withFileTypes: true }).some((f) => f.isFile() && readFileSync(join(f.parentPath, f.name)).includes(probe));
    expect(inDataDir()).toBe(true);
    expect((await w.patient.read(obs)).version).toBe(3);
    await w.patient.erase();
    expect((await rejection(w.patient.read(obs))).code).toBe('ERASED');
    expect((await rejection(w.drA.read(alg))).code).toBe('ERASED');
    expect((await rejection(w.drA.write(w.pid, observation('after')))).code).toBe('ERASED');
    expect((await rejection(w.patient.grant({ grantee: { org: 'clinic-b' }, scope: 'all' }))).code).toBe('ERASED');
    await waitFor(async () => !(await w.t.node.records.blobs.has(before.versions[0]!.content)), 10_000, 'the blobs to be deleted');
    expect((await w.t.node.records.blobs.stats()).blobs).toBe(0);
    expect(inDataDir()).toBe(false); // secure_delete and the WAL checkpoint leave no copy in free pages
    // the ledger keeps the commitment (the hash), and the erasure itself
    const after = await w.t.client.request<{ versions: { content: string }[] }>('GET', `/v1/records/${obs}`);
    expect(after.versions[0]!.content).toBe(before.versions[0]!.content);
    const log = await w.patient.disclosures();
    expect(log.filter((e) => e.kind === 'erase')).toHaveLength(1);
  });
});
