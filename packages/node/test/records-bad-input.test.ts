import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordsClient, Wallet, blobHash, recordAad, sealBlobs } from '@salus/client';
import { fromHex, randomBytes, toHex } from '@salus/core';
import { observation, recordsWorld, rejection, type RecordsWorld } from './records-fixture.js';
import { startTestNode } from './harness.js';

/**
 * Every bad input of the records module gets a typed error, nothing is written, and the node keeps
 * serving: unsigned, forged, replayed and stale requests; grants not signed by the patient; writes
 * without a grant; envelopes for parties without a right; tampered or mislabelled blobs; oversize
 * records; and a ledger that does not commit (reads refused, never served unlogged).
 */
let w: RecordsWorld;
let rec: string;
beforeAll(async () => {
  w = await recordsWorld();
  await w.patient.grant({ id: 'care', grantee: { org: 'founding-hospital' }, scope: 'all', actions: ['read', 'write'] });
  rec = (await w.drA.write(w.pid, observation())).record;
});
afterAll(async () => {
  await w.t.close();
});

async function raw(path: string, init: RequestInit = {}) {
  const res = await fetch(`${w.t.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

const chainId = 'salus-test';
const aud = () => w.t.node.nodeId;

describe('records: bad input', () => {
  it('requests: unsigned, forged, replayed, stale, unknown purpose', async () => {
    const path = `/v1/records/${rec}/versions/1`;
    expect((await raw(path)).body.error?.code).toBe('BAD_SIGNATURE');
    const good = w.wallets.patient.authorization(chainId, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: aud() });
    expect((await raw(path, { headers: { authorization: good } })).status).toBe(200);
    expect((await raw(path, { headers: { authorization: good } })).body.error?.code).toBe('REQUEST_EXPIRED'); // replay
    const forged = good.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expect((await raw(path, { headers: { authorization: forged.replace(/nonce=[0-9a-f]+/, 'nonce=' + toHex(randomBytes(16))) } })).body.error?.code).toBe('BAD_SIGNATURE');
    const otherPath = w.wallets.patient.authorization(chainId, { method: 'GET', path: `/v1/records/${rec}/versions/2`, purpose: 'treatment', bodyHash: '', aud: aud() });
    expect((await raw(path, { headers: { authorization: otherPath } })).body.error?.code).toBe('BAD_SIGNATURE');
    const stale = w.wallets.patient.authorization(chainId, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: aud(), at: Date.now() - 10 * 60_000 });
    expect((await raw(path, { headers: { authorization: stale } })).body.error?.code).toBe('REQUEST_EXPIRED');
    const otherChain = w.wallets.patient.authorization('another-chain', { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: aud() });
    expect((await raw(path, { headers: { authorization: otherChain } })).body.error?.code).toBe('BAD_SIGNATURE');
    const otherNode = w.wallets.patient.authorization(chainId, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: '0'.repeat(64) });
    expect((await raw(path, { headers: { authorization: otherNode } })).body.error?.code).toBe('BAD_SIGNATURE'); // addressed to another node
    const oddNonce = good.replace(/nonce=[0-9a-f]+/, 'nonce=' + '1'.repeat(17));
    expect((await raw(path, { headers: { authorization: oddNonce } })).body.error?.code).toBe('BAD_SIGNATURE');
    const padded = `/v1/records/${rec}/versions/01`;
    expect((await raw(padded, { headers: { authorization: w.wallets.patient.authorization(chainId, { method: 'GET', path: padded, purpose: 'treatment', bodyHash: '', aud: aud() }) } })).body.error?.code).toBe('INVALID_FIELD');
    const twice = `/v1/records/patients/${w.pid}/recipients?tags=a&tags=b`;
    const r2 = await raw(twice, { headers: { authorization: w.wallets.drA.authorization(chainId, { method: 'GET', path: twice, purpose: 'treatment', bodyHash: '', aud: aud() }) } });
    expect([r2.status, r2.body.error?.code]).toEqual([400, 'INVALID_FIELD']);
    const badPurpose = w.wallets.patient.authorization(chainId, { method: 'GET', path, purpose: 'curiosity', bodyHash: '', aud: aud() });
    expect((await raw(path, { headers: { authorization: badPurpose } })).body.error?.code).toBe('INVALID_FIELD');
    expect((await raw(`/v1/records/${rec}`, { headers: { 'salus-min-height': 'soon' } })).body.error?.code).toBe('INVALID_FIELD');
    expect((await raw(`/v1/records/${rec}`, { headers: { 'salus-min-height': '99999999' } })).body.error?.code).toBe('INVALID_FIELD');
    expect((await raw(`/v1/records/${rec}`, { headers: { 'salus-min-height': '1' } })).status).toBe(200);
    expect((await raw('/v1/records/not-a-record/versions/1', { headers: { authorization: w.wallets.patient.authorization(chainId, { method: 'GET', path: '/v1/records/not-a-record/versions/1', purpose: 'treatment', bodyHash: '', aud: aud() }) } })).body.error?.code).toBe('INVALID_FIELD');
  });

  it('a grant, revocation or erasure not signed by the patient is refused and writes nothing', async () => {
    const imposter = new RecordsClient(w.t.client, w.wallets.drA);
    const payload = { patient: w.pid, id: 'sneaky', grantee: { org: 'clinic-b' }, scope: { all: true }, actions: ['read'], purposes: ['treatment'], until: null };
    expect((await rejection(imposter.client.send(w.wallets.drA, 'records', 'grant', payload))).code).toBe('NOT_THE_PATIENT');
    expect((await rejection(imposter.client.send(w.wallets.drA, 'records', 'revoke', { patient: w.pid, id: 'care' }))).code).toBe('NOT_THE_PATIENT');
    expect((await rejection(imposter.client.send(w.wallets.drA, 'records', 'erase', { patient: w.pid }))).code).toBe('NOT_THE_PATIENT');
    const state = await w.t.client.request<{ grants: { id: string; status: string }[]; erased: unknown }>('GET', `/v1/records/patients/${w.pid}`);
    expect(state.grants.map((g) => `${g.id}:${g.status}`)).toEqual(['care:active']);
    expect(state.erased).toBeNull();
  });

  it('a write by an organisation with no write grant or authorship is refused; the record does not exist', async () => {
    const e = await rejection(w.drB.write(w.pid, observation()));
    expect(e.code).toBe('CONSENT_REQUIRED'); // it cannot even open the keyring (not shared with it)
    // with the keyring in hand (a leaked tag key), the ledger still refuses the write itself
    const tagless = await sealBlobs(new TextEncoder().encode('{}'), [fromHex(await patientEnc(), 32)], recordAad('rec-' + '1'.repeat(32), 1, w.pid));
    const content = await w.drB.uploadBlob(tagless.content, w.pid);
    const envelopes = [{ to: tagless.envelopes[0]!.to, blob: await w.drB.uploadBlob(tagless.envelopes[0]!.bytes, w.pid) }];
    const write = { patient: w.pid, record: 'rec-' + '1'.repeat(32), version: 1, content, size: tagless.content.length, tags: [], envelopes, emergency: false };
    expect((await rejection(w.t.client.send(w.wallets.drB, 'records', 'write', write))).code).toBe('CONSENT_REQUIRED');
    expect((await rejection(w.t.client.request('GET', `/v1/records/rec-${'1'.repeat(32)}`))).code).toBe('NOT_FOUND');
    // a version that skips ahead, and a record id that exists already
    expect((await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', { ...write, record: rec, version: 5 }))).code).toBe('CONFLICT');
    expect((await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', { ...write, record: rec, version: 1 }))).code).toBe('CONFLICT');
  });

  it("an envelope for a party without a right, or a version without the patient's envelope, is refused", async () => {
    const stranger = Wallet.create();
    const aad = recordAad('rec-' + '2'.repeat(32), 1, w.pid);
    const sealed = await sealBlobs(new TextEncoder().encode('{}'), [fromHex(await patientEnc(), 32), stranger.encryptionPublicKey], aad);
    const content = await w.drA.uploadBlob(sealed.content, w.pid);
    const envelopes = [];
    for (const e of sealed.envelopes) envelopes.push({ to: e.to, blob: await w.drA.uploadBlob(e.bytes, w.pid) });
    const write = { patient: w.pid, record: 'rec-' + '2'.repeat(32), version: 1, content, size: sealed.content.length, tags: [], envelopes, emergency: false };
    const e1 = await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', write));
    expect(e1.code).toBe('CONSENT_REQUIRED');
    const e2 = await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', { ...write, envelopes: [{ to: toHex(w.wallets.drA.encryptionPublicKey), blob: envelopes[1]!.blob }] }));
    expect(e2.code).toBe('INVALID_FIELD'); // no envelope for the patient
  });

  it('tampered blobs: a body that does not hash to its address, a flipped ciphertext, an envelope for another key', async () => {
    const bytes = randomBytes(100);
    const wrong = toHex(randomBytes(32));
    const auth = w.wallets.drA.authorization(chainId, { method: 'PUT', path: `/v1/blobs/${wrong}?patient=${w.pid}`, purpose: 'treatment', bodyHash: blobHash(bytes), aud: aud() });
    const r = await raw(`/v1/blobs/${wrong}?patient=${w.pid}`, { method: 'PUT', body: bytes, headers: { authorization: auth, 'content-type': 'application/octet-stream' } });
    expect(r.status).toBe(422);
    expect(r.body.error?.code).toBe('HASH_MISMATCH');
    expect(await w.t.node.records.blobs.has(wrong)).toBe(false);
    // a record's ciphertext flipped, and an envelope opened with the wrong key: decryption fails, typed
    const aad = recordAad(rec, 1, w.pid);
    const sealed = await sealBlobs(new TextEncoder().encode('{"resourceType":"Observation"}'), [w.wallets.patient.encryptionPublicKey], aad);
    const flipped = sealed.content.slice();
    flipped[flipped.length - 5]! ^= 0x01;
    expect((await rejection(w.wallets.patient.openRecord(flipped, sealed.envelopes[0]!.bytes, aad))).code).toBe('DECRYPTION_FAILED');
    expect((await rejection(w.wallets.drA.openRecord(sealed.content, sealed.envelopes[0]!.bytes, aad))).code).toBe('DECRYPTION_FAILED');
    expect((await rejection(w.wallets.patient.openRecord(sealed.content, sealed.envelopes[0]!.bytes, recordAad(rec, 2, w.pid)))).code).toBe('DECRYPTION_FAILED');
    expect(new TextDecoder().decode(await w.wallets.patient.openRecord(sealed.content, sealed.envelopes[0]!.bytes, aad))).toContain('Observation');
    // uploading by an unregistered key, and for an unknown patient
    const anon = Wallet.create();
    const h = blobHash(bytes);
    const a2 = anon.authorization(chainId, { method: 'PUT', path: `/v1/blobs/${h}?patient=${w.pid}`, purpose: 'treatment', bodyHash: h, aud: aud() });
    expect((await raw(`/v1/blobs/${h}?patient=${w.pid}`, { method: 'PUT', body: bytes, headers: { authorization: a2, 'content-type': 'application/octet-stream' } })).body.error?.code).toBe('UNREGISTERED_SIGNER');
    const ghost = `pat-${'0'.repeat(32)}`;
    const a3 = w.wallets.drA.authorization(chainId, { method: 'PUT', path: `/v1/blobs/${h}?patient=${ghost}`, purpose: 'treatment', bodyHash: h, aud: aud() });
    expect((await raw(`/v1/blobs/${h}?patient=${ghost}`, { method: 'PUT', body: bytes, headers: { authorization: a3, 'content-type': 'application/octet-stream' } })).body.error?.code).toBe('NOT_FOUND');
  });

  it("a patient cannot name another patient's blob (to shred it by erasing itself, or keep it past the victim's erasure)", async () => {
    const attacker = new RecordsClient(w.t.client, Wallet.create());
    const apid = await attacker.registerPatient();
    const victim = (await w.t.client.request<{ versions: { content: string; envelopes: { to: string; blob: string }[] }[] }>('GET', `/v1/records/${rec}`)).versions[0]!;
    const sealed = await sealBlobs(new TextEncoder().encode('{}'), [attacker.wallet.encryptionPublicKey], recordAad('rec-' + '6'.repeat(32), 1, apid));
    const myEnvelope = await attacker.uploadBlob(sealed.envelopes[0]!.bytes, apid);
    const steal = { patient: apid, record: 'rec-' + '6'.repeat(32), version: 1, content: victim.content, size: 10, tags: [], envelopes: [{ to: toHex(attacker.wallet.encryptionPublicKey), blob: myEnvelope }], emergency: false };
    expect((await rejection(w.t.client.send(attacker.wallet, 'records', 'write', steal))).code).toBe('CONFLICT');
    const stealEnvelope = { ...steal, content: myEnvelope, envelopes: [{ to: toHex(attacker.wallet.encryptionPublicKey), blob: victim.envelopes[0]!.blob }] };
    expect((await rejection(w.t.client.send(attacker.wallet, 'records', 'write', stealEnvelope))).code).toBe('CONFLICT');
    await attacker.erase();
    expect((await w.patient.read(rec)).resource).toMatchObject({ resourceType: 'Observation' }); // the victim's ciphertext is still there
  });

  it('oversize: a record above 1 MiB is refused at upload and in the transaction', async () => {
    const big = new Uint8Array(1024 * 1024 + 128 * 1024);
    const h = blobHash(big);
    const auth = w.wallets.drA.authorization(chainId, { method: 'PUT', path: `/v1/blobs/${h}?patient=${w.pid}`, purpose: 'treatment', bodyHash: h, aud: aud() });
    const r = await raw(`/v1/blobs/${h}?patient=${w.pid}`, { method: 'PUT', body: big, headers: { authorization: auth, 'content-type': 'application/octet-stream' } });
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('OVERSIZE');
    const write = { patient: w.pid, record: 'rec-' + '3'.repeat(32), version: 1, content: h, size: big.length, tags: [], envelopes: [{ to: await patientEnc(), blob: h }], emergency: false };
    expect((await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', write))).code).toBe('OVERSIZE');
  });

  it('a write naming a blob this node never received is refused before admission (BLOB_MISSING)', async () => {
    const h = toHex(randomBytes(32));
    const write = { patient: w.pid, record: 'rec-' + '4'.repeat(32), version: 1, content: h, size: 10, tags: [], envelopes: [{ to: await patientEnc(), blob: h }], emergency: false };
    expect((await rejection(w.t.client.send(w.wallets.drA, 'records', 'write', write))).code).toBe('BLOB_MISSING');
  });

  it('malformed payloads: unknown fields, bad ids, empty lists, a lone scope with two kinds', async () => {
    const send = (type: string, payload: unknown) => w.t.client.send(w.wallets.patient, 'records', type, payload as never);
    expect((await rejection(send('grant', { patient: w.pid, id: 'x', grantee: { org: 'clinic-b' }, scope: { all: true, tags: [] }, actions: ['read'], purposes: ['treatment'], until: null }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('grant', { patient: w.pid, id: 'x', grantee: { org: 'clinic-b' }, scope: { all: true }, actions: [], purposes: ['treatment'], until: null }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('grant', { patient: w.pid, id: 'x', grantee: { org: 'clinic-b' }, scope: { all: true }, actions: ['read', 'read'], purposes: ['treatment'], until: null }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('grant', { patient: w.pid, id: 'x', grantee: { org: 'nowhere' }, scope: { all: true }, actions: ['read'], purposes: ['treatment'], until: null }))).code).toBe('NOT_FOUND');
    expect((await rejection(send('grant', { patient: w.pid, id: 'x', grantee: { org: 'clinic-b' }, scope: { all: true }, actions: ['read'], purposes: ['treatment'], until: 5 }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('revoke', { patient: w.pid, id: 'no-such-grant' }))).code).toBe('NOT_FOUND');
    expect((await rejection(send('break_glass', { patient: w.pid, reason: 'x', durationMs: 10 }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('write', { patient: 'bob', record: rec, version: 1 }))).code).toBe('INVALID_FIELD');
    const entry = [w.pid, rec, 1, w.wallets.drA.publicKey, 'treatment', 1, new Uint8Array(16), new Uint8Array(64), 'author'];
    expect((await rejection(send('disclose', { entries: [], extra: 1 }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('disclose', { entries: [{ patient: w.pid }] }))).code).toBe('INVALID_FIELD');
    expect((await rejection(send('disclose', { entries: [entry.slice(0, 8)] }))).code).toBe('INVALID_FIELD');
    // a disclosure batch from a key that is no validator or service is refused
    expect((await rejection(send('disclose', { entries: [entry] }))).code).toBe('FORBIDDEN');
    expect((await w.t.client.status()).height).toBeGreaterThan(0); // still serving
  });
});

describe('records: a ledger that does not commit', () => {
  it('refuses reads with LEDGER_UNAVAILABLE rather than serve them unlogged, and serves again once blocks commit', async () => {
    const t = await startTestNode({ options: { solo: { emptyBlockIntervalMs: 60_000 }, records: { ledgerStaleMs: 400 } } });
    try {
      const patient = new RecordsClient(t.client, Wallet.create());
      const pid = await patient.registerPatient();
      const own = await patient.write(pid, observation('mine'));
      expect((await patient.read(own.record)).resource).toMatchObject({ note: [{ text: 'mine' }] });
      await new Promise((r) => setTimeout(r, 1_500)); // no transactions, no blocks: the ledger looks stalled
      // the disclosure batch of the first read may have committed a block meanwhile; wait past it
      await new Promise((r) => setTimeout(r, 500));
      const before = t.node.records.index.pendingCount;
      const e = await rejection(patient.read(own.record, { version: 1 }));
      expect(e.code).toBe('LEDGER_UNAVAILABLE');
      expect(t.node.records.index.pendingCount).toBe(before); // nothing queued for the refused read
      await t.client.send(t.admin, 'identity', 'add_member', { org: t.orgId, signingKey: Wallet.create().publicKeyHex, encryptionKey: toHex(randomBytes(32)), role: 'service', name: 'svc' });
      expect((await patient.read(own.record, { version: 1 })).version).toBe(1);
    } finally {
      await t.close();
    }
  });
});

async function patientEnc(): Promise<string> {
  return (await w.t.client.request<{ encryptionKey: string }>('GET', `/v1/identity/patients/${w.pid}`)).encryptionKey;
}
