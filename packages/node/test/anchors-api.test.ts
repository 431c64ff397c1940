import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnchorsClient, SalusClient, Wallet, checkAnchorProof, itemToCbor, itemToJson, type AnchorItem, type AnchorProof } from '@salus/client';
import { encode, fromHex, sha256, toHex, type Validator } from '@salus/core';
import { initHome } from '../src/config/home.js';
import { startTestNode, tempDir, memberPayload, type TestNode } from './harness.js';
import { fakeClock } from './fake-clock.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';

/**
 * Anchoring over a real node's HTTP API (one process, the solo producer; the node's clock is a fake
 * the test moves to close batches): items in as CBOR and JSON, receipts checked by the SDK, proofs
 * verified from commit signatures down to the item, forged proofs caught, and every bad request
 * refused with its code while the node keeps serving.
 */
const ed = createNativeEd25519();
const clock = fakeClock();
let t: TestNode;
let device: Wallet;
let anchors: AnchorsClient;

beforeAll(async () => {
  const home = tempDir();
  initHome({ home, chainId: 'salus-test', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' }, port: 0 });
  t = await startTestNode({ home, clock, options: { records: { custodianKeyFile: `${home}/keys/founding-hospital-admin.json` } } }, true);
  device = Wallet.create(ed);
  await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, device, 'device', 'Sensor 1'));
  anchors = new AnchorsClient(new SalusClient({ url: t.url, ed }), device);
});
afterAll(() => t?.close());

const payload = (s: string) => sha256(new TextEncoder().encode(s));

async function post(body: BodyInit, type: string): Promise<{ status: number; code?: string; meta?: Record<string, unknown> }> {
  const r = await fetch(`${t.url}/v1/anchors/items`, { method: 'POST', headers: { 'content-type': type }, body });
  const j = (await r.json()) as { error?: { code: string; meta: Record<string, unknown> } };
  return { status: r.status, code: j.error?.code, meta: j.error?.meta };
}

describe('anchoring through the HTTP API', () => {
  it('takes items as CBOR and JSON, receipts them at once, and proves them once their batch is on the ledger', async () => {
    const a = await anchors.anchor([{ kind: 'reading', payload: payload('a') }, { kind: 'reading', label: 'ward 3', payload: payload('b') }]);
    const b = await anchors.anchor([{ kind: 'event', payload: payload('c') }], { format: 'json' });
    expect(b.batch).toBe(a.batch);
    await expect(anchors.proof(a.receipts[0]!.item)).rejects.toMatchObject({ code: 'ANCHOR_PENDING' });
    clock.advance(1_000);
    const p = await anchors.proof(a.receipts[1]!.item, { waitMs: 15_000 });
    expect(p.verified).toMatchObject({ chainId: 'salus-test', anchorer: a.anchorer, batch: a.batch, submitter: device.publicKeyHex, record: { count: 3 } });
    expect(p.item.label).toBe('ward 3');
    expect(p.verified.record.height).toBeLessThanOrEqual(a.deadline);
    const onLedger = await anchors.batch(a.anchorer, a.batch);
    expect(onLedger.record?.root).toBe(p.verified.record.root);
    const ev = await anchors.evidence(b.receipts[0]!);
    expect(ev.kind).toBe('kept');
    await expect(anchors.report(b.receipts[0]!)).rejects.toMatchObject({ code: 'ANCHOR_KEPT' });
    expect((await anchors.leaves(a.batch)).map(toHex).sort()).toEqual([...a.receipts, ...b.receipts].map((r) => r.item).sort());
  });

  it('catches a forged proof: another item, path, batch record or validator set', async () => {
    const { receipts } = await anchors.anchor([{ kind: 'reading', payload: payload('x') }, { kind: 'reading', payload: payload('y') }]);
    clock.advance(1_000);
    const { verified: _v, ...p } = await anchors.proof(receipts[0]!.item, { waitMs: 15_000 });
    const forged = (f: (q: AnchorProof) => AnchorProof, code: string) => expect(() => anchors.verify(f(structuredClone(p)))).toThrow(expect.objectContaining({ code }));
    forged((q) => ({ ...q, item: { ...q.item, label: 'changed' } }), 'BAD_SIGNATURE');
    forged((q) => ({ ...q, hash: receipts[1]!.item }), 'BAD_PROOF');
    forged((q) => ({ ...q, index: q.index ^ 1 }), 'BAD_PROOF');
    forged((q) => ({ ...q, path: q.path.map((x) => toHex(sha256(fromHex(x)))) }), 'BAD_PROOF');
    forged((q) => ({ ...q, batch: q.batch + 1 }), 'BAD_PROOF');
    forged((q) => ({ ...q, ledger: { ...q.ledger, value: toHex(encode({ ...(q.ledger.decoded as object), count: 1 } as never)) } }), 'BAD_PROOF');
    // a set the client trusts that did not sign the header
    const strangers: Validator[] = [{ pubKey: Wallet.create(ed).publicKey, power: 10 }];
    expect(() => checkAnchorProof(ed, p, strangers)).toThrow(expect.objectContaining({ code: 'BAD_COMMIT' }));
  });

  it('refuses bad requests with their codes, keeps nothing of them, and goes on serving', async () => {
    const chainId = await anchors.chainId();
    const good: AnchorItem = device.signAnchorItem(chainId, { kind: 'reading', payload: payload('good') });
    const json = (x: unknown) => JSON.stringify(x);
    expect(await post('items', 'text/plain')).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await post('{"items": [', 'application/json')).toMatchObject({ status: 400, code: 'MALFORMED_ENCODING' });
    expect(await post(new Uint8Array([0xa1, 0x61]) as unknown as BodyInit, 'application/cbor')).toMatchObject({ status: 400, code: 'MALFORMED_ENCODING' });
    expect(await post(json({ items: [itemToJson(good)], extra: 1 }), 'application/json')).toMatchObject({ status: 400, code: 'INVALID_FIELD' });
    expect(await post(json({ items: [] }), 'application/json')).toMatchObject({ status: 400, code: 'INVALID_FIELD' });
    expect(await post(json({ items: [{ ...itemToJson(good), kind: 'BAD KIND' }] }), 'application/json')).toMatchObject({ status: 400, code: 'INVALID_FIELD', meta: { field: 'items[0].kind' } });
    expect(await post(json({ items: Array.from({ length: 4097 }, () => itemToJson(good)) }), 'application/json')).toMatchObject({ status: 413, code: 'OVERSIZE' });
    const forged = { ...good, payload: payload('other') };
    expect(await post(encode({ items: [itemToCbor(good), itemToCbor(forged)] }) as unknown as BodyInit, 'application/cbor')).toMatchObject({ status: 401, code: 'BAD_SIGNATURE', meta: { index: 1 } });
    const stranger = Wallet.create(ed).signAnchorItem(chainId, { kind: 'reading', payload: payload('s') });
    expect(await post(json({ item: itemToJson(stranger) }), 'application/json')).toMatchObject({ status: 403, code: 'UNREGISTERED_SIGNER' });
    const miss = await fetch(`${t.url}/v1/anchors/items/${toHex(payload('never'))}/proof`);
    expect(miss.status).toBe(404);
    expect((await fetch(`${t.url}/v1/anchors/items/${toHex(sha256(encode(itemToCbor(good))))}`)).status).toBe(404);
    const ok = await anchors.submit([good]);
    expect(ok.receipts).toHaveLength(1);
    expect(await (await fetch(`${t.url}/v1/anchors/node`)).json()).toMatchObject({ anchorer: toHex(t.admin.publicKey), open: { items: 1 } });
    expect(await (await fetch(`${t.url}/v1/anchors/params`)).json()).toMatchObject({ batchItemsMax: 65_536, deadlineBlocks: 30 });
  });

  it("runs the README's anchoring snippet as written", async () => {
    const root = new URL('../../../', import.meta.url).pathname;
    const snippet = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((x) => x.includes('AnchorsClient'))!;
    const keyFile = join(t.home, 'device.json');
    writeFileSync(keyFile, JSON.stringify(device.export()));
    const code = snippet.replace('http://127.0.0.1:26657', t.url).replace("'device.json'", JSON.stringify(keyFile)) + '\nconsole.log(JSON.stringify({ batch: proof.verified.batch, count: proof.verified.record.count, kind: evidence.kind }));\n';
    const file = join(root, 'packages/node/test', `.readme-anchors-${process.pid}.mjs`);
    writeFileSync(file, code);
    // the node's clock moves on while the snippet waits, so its batch closes by time
    const ticking = setInterval(() => clock.advance(250), 100);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 45_000 });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ count: expect.any(Number), kind: 'kept' });
    } finally {
      clearInterval(ticking);
      rmSync(file, { force: true });
    }
  });
});
