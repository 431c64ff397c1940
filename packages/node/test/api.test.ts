import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { LIMITS, encode, encodeTx, signTx, pureEd25519, toHex, type SignedTx } from '@salus/core';
import { memberPayload, startTestNode, type TestNode } from './harness.js';

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t.close();
});

async function post(body: BodyInit, type = 'application/cbor', query = '') {
  const res = await fetch(`${t.url}/v1/txs${query}`, { method: 'POST', body, headers: { 'content-type': type } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; hash?: string } };
}

function build(w: Wallet, nonce: number, module: string, type: string, payload: unknown, chainId = 'salus-test') {
  return w.buildTx({ chainId, nonce, module, type, payload: payload as never });
}

async function nextNonce(w: Wallet) {
  return t.client.nextNonce(w.publicKeyHex);
}

describe('node API', () => {
  it('serves status, blocks, OpenAPI and metrics', async () => {
    const s = await t.client.status();
    expect(s.chainId).toBe('salus-test');
    await new Promise((r) => setTimeout(r, 50));
    const b = await t.client.getBlock('latest');
    expect(b.height).toBeGreaterThan(0);
    expect((await fetch(`${t.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${t.url}/docs/`)).status).toBe(200);
    const m = await (await fetch(`${t.url}/metrics`)).text();
    expect(m).toMatch(/salus_consensus_height \d+/);
    expect(m).toMatch(/salus_mempool_size/);
  });

  it('commits a transaction, proves its inclusion, and proves the state it wrote', async () => {
    const member = Wallet.create();
    const r = await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, member));
    expect(r.result.code).toBe('OK');
    const tx = await t.client.verifiedTx(r.hash);
    expect(tx.height).toBe(r.height);
    expect((tx.decoded as { module: string }).module).toBe('identity');
    // the state write is provable once the next header carries the app hash
    const key = `identity/key/${member.publicKeyHex}`;
    for (let i = 0; i < 100; i++) {
      const st = await t.client.verifiedState(key);
      if (st.value !== null) {
        expect((st.decoded as { role: string }).role).toBe('practitioner');
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    const absent = await t.client.verifiedState('identity/key/none');
    expect(absent.value).toBeNull();
    const key2 = await fetch(`${t.url}/v1/identity/keys/${member.publicKeyHex}`);
    expect(((await key2.json()) as { org: string }).org).toBe(t.orgId);
  });

  it('a tampered proof is refused by the client', async () => {
    const member = Wallet.create();
    const r = await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, member));
    const tx = await t.client.getTx(r.hash);
    const { verifyTxResponse } = await import('@salus/client');
    const tampered = { ...tx, tx: tx.tx.slice(0, -2) + (tx.tx.endsWith('00') ? '01' : '00') };
    expect(() => verifyTxResponse(pureEd25519, tampered, tx.validators.map((v) => ({ pubKey: Buffer.from(v.pubKey, 'hex'), power: v.power })))).toThrowError(
      expect.objectContaining({ code: 'BAD_PROOF' }),
    );
  });
});

describe('bad input gets a typed error and changes nothing', () => {
  const expectError = async (p: Promise<{ status: number; body: { error?: { code: string } } }>, status: number, code: string) => {
    const r = await p;
    expect(r.body.error?.code).toBe(code);
    expect(r.status).toBe(status);
  };

  it('malformed CBOR', async () => expectError(post(new Uint8Array([0xa2, 0x61]) as unknown as BodyInit), 400, 'MALFORMED_ENCODING'));
  it('non-canonical CBOR', async () => expectError(post(new Uint8Array([0x18, 0x01]) as unknown as BodyInit), 400, 'MALFORMED_ENCODING'));
  it('malformed JSON', async () => expectError(post('{"tx": ', 'application/json'), 400, 'MALFORMED_ENCODING'));
  it('JSON without a tx', async () => expectError(post('{"x":1}', 'application/json'), 400, 'INVALID_FIELD'));
  it('an unsupported media type', async () => expectError(post('hello', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'));
  it('a CBOR value that is not a transaction', async () => expectError(post(encode({ a: 1 }) as unknown as BodyInit), 400, 'INVALID_FIELD'));

  it('a wrong chain id', async () => {
    const { bytes } = build(t.admin, await nextNonce(t.admin), 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()), 'other-chain');
    await expectError(post(bytes as unknown as BodyInit), 400, 'WRONG_CHAIN');
  });

  it('a bad signature', async () => {
    const { tx } = build(t.admin, await nextNonce(t.admin), 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    const forged: SignedTx = { ...tx, signature: new Uint8Array(64).fill(7) };
    await expectError(post(encodeTx(forged) as unknown as BodyInit), 401, 'BAD_SIGNATURE');
    // signed by another key than the signer it names
    const other = Wallet.create();
    const { tx: t2 } = build(other, 0, 'identity', 'register_patient', { encryptionKey: toHex(other.encryptionPublicKey) });
    await expectError(post(encodeTx({ ...t2, signer: t.admin.publicKey }) as unknown as BodyInit), 401, 'BAD_SIGNATURE');
  });

  it('a replayed and a skipped nonce', async () => {
    const n = await nextNonce(t.admin);
    const first = build(t.admin, n, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    expect((await post(first.bytes as unknown as BodyInit, 'application/cbor', '?wait=commit')).status).toBe(200);
    await expectError(post(first.bytes as unknown as BodyInit), 409, 'NONCE_REPLAYED');
    const replay = build(t.admin, n, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    await expectError(post(replay.bytes as unknown as BodyInit), 409, 'NONCE_REPLAYED');
    const skip = build(t.admin, n + 5, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    await expectError(post(skip.bytes as unknown as BodyInit), 409, 'NONCE_GAP');
  });

  it('resubmitting the same signed bytes is safe: told by hash whether it is pending or committed, committed once', async () => {
    const nonce = await nextNonce(t.admin);
    const { bytes } = build(t.admin, nonce, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    const first = await post(bytes as unknown as BodyInit);
    expect(first.status).toBe(202);
    const hash = first.body.hash!;
    const again = (await post(bytes as unknown as BodyInit)) as { status: number; body: { error?: { code: string; meta?: { hash?: string } } } };
    expect(['CONFLICT', 'NONCE_REPLAYED']).toContain(again.body.error?.code); // pending, or already committed by now
    expect(again.body.error?.meta?.hash).toBe(hash);
    await expect.poll(async () => ((await (await fetch(`${t.url}/v1/txs/${hash}`)).json()) as { status?: string }).status).toBe('committed');
    const late = (await post(bytes as unknown as BodyInit)) as { status: number; body: { error?: { code: string; meta?: { hash?: string } } } };
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'NONCE_REPLAYED', meta: { hash } });
    // the signer's nonce moved by one: the resubmissions committed nothing more
    expect(await nextNonce(t.admin)).toBe(nonce + 1);
  });

  it('an unknown module or type', async () => {
    const n = await nextNonce(t.admin);
    await expectError(post(build(t.admin, n, 'nosuch', 'x', {}).bytes as unknown as BodyInit), 400, 'UNKNOWN_MODULE');
    await expectError(post(build(t.admin, n, 'identity', 'nosuch', {}).bytes as unknown as BodyInit), 400, 'UNKNOWN_TYPE');
  });

  it('an oversize transaction', async () => {
    const n = await nextNonce(t.admin);
    const big = signTx(pureEd25519, new Uint8Array(32).fill(1), {
      chainId: 'salus-test',
      signer: pureEd25519.publicKey(new Uint8Array(32).fill(1)),
      nonce: n,
      module: 'identity',
      type: 'add_member',
      payload: { blob: 'x'.repeat(LIMITS.txBytesMax + 1000) },
    });
    await expectError(post(encodeTx(big) as unknown as BodyInit), 413, 'OVERSIZE');
    await expectError(post(new Uint8Array(LIMITS.txBytesMax * 2 + 10_000) as unknown as BodyInit), 413, 'OVERSIZE');
  });

  it('an unregistered signer', async () => {
    const stranger = Wallet.create();
    await expectError(post(build(stranger, 0, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create())).bytes as unknown as BodyInit), 403, 'UNREGISTERED_SIGNER');
  });

  it('a member acting for an organisation it does not belong to, and beyond its role', async () => {
    const member = Wallet.create();
    await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, member));
    await expectError(post(build(t.admin, await nextNonce(t.admin), 'identity', 'add_member', memberPayload('other-org', Wallet.create())).bytes as unknown as BodyInit), 403, 'NOT_A_MEMBER');
    await expectError(post(build(member, 0, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create())).bytes as unknown as BodyInit), 403, 'FORBIDDEN');
  });

  it('a schema-invalid payload', async () => {
    const n = await nextNonce(t.admin);
    await expectError(post(build(t.admin, n, 'identity', 'add_member', { ...memberPayload(t.orgId, Wallet.create()), role: 'king' }).bytes as unknown as BodyInit), 400, 'INVALID_FIELD');
    await expectError(post(build(t.admin, n, 'identity', 'add_member', { ...memberPayload(t.orgId, Wallet.create()), extra: 1 }).bytes as unknown as BodyInit), 400, 'INVALID_FIELD');
  });

  it('nothing was written by any of them, and the node keeps serving', async () => {
    const before = await t.client.status();
    expect(before.mempool.size).toBe(0);
    const res = await fetch(`${t.url}/v1/verify`);
    const report = (await res.json()) as { ok: boolean; txs: number };
    expect(report.ok).toBe(true);
    expect(report.txs).toBe(5); // two in the first block of tests, one nonce test, one resubmission test, one membership test
    expect((await fetch(`${t.url}/v1/nosuch`)).status).toBe(404);
    expect((await fetch(`${t.url}/v1/txs/zz`)).status).toBe(400);
    expect((await fetch(`${t.url}/v1/blocks/-1`)).status).toBe(400);
  });
});

describe('batch submission', () => {
  async function postBatch(body: BodyInit, type = 'application/cbor') {
    const res = await fetch(`${t.url}/v1/txs/batch`, { method: 'POST', body, headers: { 'content-type': type } });
    return { status: res.status, body: (await res.json()) as { results?: { hash?: string; status: string; error?: { code: string } }[]; error?: { code: string } } };
  }

  it('admits each transaction on its own: the good ones commit, a bad signature and a duplicate are refused by name', async () => {
    const members = [Wallet.create(), Wallet.create(), Wallet.create()];
    const n = await nextNonce(t.admin);
    const good = members.map((m, i) => build(t.admin, n + i, 'identity', 'add_member', memberPayload(t.orgId, m)).bytes);
    const forged = Uint8Array.from(build(t.admin, n + 3, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create())).bytes);
    forged[forged.length - 1]! ^= 0x01;
    const results = await t.client.submitBatch([good[0]!, good[1]!, forged, good[1]!, good[2]!]);
    expect(results.map((r) => r.status)).toEqual(['pending', 'pending', 'rejected', 'rejected', 'pending']);
    expect(results[2]).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
    expect(results[3]).toMatchObject({ error: { code: 'CONFLICT' } });
    const hashes = [results[0], results[1], results[4]].map((r) => (r as { hash: string }).hash);
    for (const hash of hashes) {
      for (let i = 0; i < 200 && ((await t.client.getTx(hash)) as { status: string }).status !== 'committed'; i++) await new Promise((res) => setTimeout(res, 20));
      expect(await t.client.getTx(hash)).toMatchObject({ status: 'committed', result: { code: 'OK' } });
    }
  });

  it('JSON batches of hex work too; an empty batch admits nothing', async () => {
    const n = await nextNonce(t.admin);
    const tx = build(t.admin, n, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create())).bytes;
    const r = await postBatch(JSON.stringify({ txs: [toHex(tx)] }), 'application/json');
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([{ hash: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'pending' }]);
    expect((await postBatch(encode([]) as unknown as BodyInit)).body.results).toEqual([]);
  });

  it('a malformed batch is refused whole, with a typed error, and the node keeps serving', async () => {
    const before = await t.client.status();
    expect(await postBatch(new Uint8Array([0x82, 0x41]) as unknown as BodyInit)).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_ENCODING' } } });
    expect(await postBatch(encode({ txs: [] }) as unknown as BodyInit)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_FIELD' } } });
    expect(await postBatch(encode([1, 2]) as unknown as BodyInit)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_FIELD' } } });
    expect(await postBatch('{"txs": "x"}', 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_FIELD' } } });
    expect(await postBatch('{"txs": ["zz"]}', 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_ENCODING' } } });
    const tooMany = encode(Array.from({ length: 1001 }, () => new Uint8Array([1])));
    expect(await postBatch(tooMany as unknown as BodyInit)).toMatchObject({ status: 413, body: { error: { code: 'OVERSIZE' } } });
    expect(await postBatch(new Uint8Array(9 * 1024 * 1024) as unknown as BodyInit)).toMatchObject({ status: 413 });
    const after = await t.client.status();
    expect(after.mempool.size).toBeLessThanOrEqual(before.mempool.size);
  });
});
