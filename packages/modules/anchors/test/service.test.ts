import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fromHex, pureEd25519, sha256, toHex } from '@salus/core';
import { BatchTree, checkItemReceipt, itemHash, itemReceipts, nonInclusionToJson, signItem, verifyBatchInclusion, type AnchorItem } from '@salus/client';
import { Anchorer, DEFAULT_SERVICE_OPTIONS, getBatch, misbehaviourKey, type AnchorServiceOptions } from '../src/index.js';
import { CHAIN, FakeNode } from './fake-node.js';

/**
 * The batcher with the real module manager behind it and a clock the test moves: receipts at once,
 * batches closed by time, size and deadline, anchored with one transaction each, answers to
 * challenges; bad requests refused whole with nothing written; its promises kept across a restart.
 */
const PARAMS = { batchItemsMax: 8, batchIntervalMs: 1000, deadlineBlocks: 12, challengeBlocks: 5 };
const OPTS: AnchorServiceOptions = { ...DEFAULT_SERVICE_OPTIONS, tickMs: 60_000, synchronous: 'NORMAL' };
const running: Anchorer[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
});

let counter = 0;
function items(node: FakeNode, n: number, signer = node.device): AnchorItem[] {
  return Array.from({ length: n }, () => signItem(pureEd25519, signer.signing.secretKey, signer.signing.publicKey, CHAIN, { kind: 'reading', payload: sha256(new Uint8Array([counter >> 8, counter++ & 255])) }));
}

function start(node: FakeNode, o: Parameters<FakeNode['deps']>[0] = {}): Anchorer {
  const ref: { a?: Anchorer } = {};
  const a = new Anchorer(node.deps({ ...o, onBlock: (h) => ref.a?.onBlock(h) }), OPTS);
  ref.a = a;
  a.start();
  running.push(a);
  return a;
}

const hashesOf = (xs: AnchorItem[]) => xs.map((i) => itemHash(CHAIN, i));

describe('the batcher', () => {
  it('answers with a receipt at once, closes the batch when its interval passes and anchors it in one transaction', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node);
    const xs = items(node, 3);
    const { receipt, hashes } = await a.accept(xs);
    expect(receipt.body).toMatchObject({ anchorer: toHex(node.admin.signing.publicKey), batch: 0, deadline: node.h.height + PARAMS.deadlineBlocks, count: 3 });
    for (const r of itemReceipts(receipt, [...hashes])) checkItemReceipt(pureEd25519, CHAIN, r);
    expect(hashes.map(toHex)).toEqual(hashesOf(xs).map(toHex));
    a.tick();
    expect(node.pending()).toEqual([]); // still open: its interval has not passed
    node.now += PARAMS.batchIntervalMs;
    a.tick();
    expect(node.pending()).toEqual(['anchors/anchor']);
    expect(node.mine()[0]!.code).toBe('OK');
    const rec = getBatch(node.h.view(), receipt.body.anchorer, 0)!;
    expect(rec).toMatchObject({ count: 3, deadline: receipt.body.deadline, height: node.h.height });
    expect(a.store!.batch(0)).toMatchObject({ state: 'anchored', anchoredHeight: node.h.height });
    const tree = a.tree(0);
    for (const h of hashes) expect(verifyBatchInclusion(h, tree.search(h), tree.path(tree.search(h)), fromHex(rec.root), rec.count)).toBe(true);
  });

  it('closes a full batch at once, starts the next for what does not fit, and refuses a request larger than a batch', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node);
    const first = await a.accept(items(node, 5));
    const second = await a.accept(items(node, 5));
    expect([first.receipt.body.batch, second.receipt.body.batch]).toEqual([0, 1]);
    expect(node.pending()).toEqual(['anchors/anchor']); // batch 0 closed when 5 more would not fit
    const third = await a.accept(items(node, 3));
    expect(third.receipt.body.batch).toBe(1);
    expect(node.pending()).toEqual(['anchors/anchor', 'anchors/anchor']); // batch 1 is full (8): closed
    expect(node.mine().map((r) => r.code)).toEqual(['OK', 'OK']);
    await expect(a.accept(items(node, 9))).rejects.toMatchObject({ code: 'OVERSIZE' });
    // the same items again go in once per batch
    const again = items(node, 2);
    await a.accept(again);
    const dup = await a.accept(again);
    expect(a.status()).toMatchObject({ open: { batch: dup.receipt.body.batch, items: 2 } });
  });

  it('closes a batch before its deadline comes near, whatever the clock says', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node);
    const { receipt } = await a.accept(items(node, 1));
    let mined = 0;
    while (node.pending().length === 0 && mined < PARAMS.deadlineBlocks) {
      node.mine();
      mined++;
    }
    expect(node.pending()).toEqual(['anchors/anchor']);
    node.mine();
    expect(node.h.height).toBeLessThanOrEqual(receipt.body.deadline);
    expect(getBatch(node.h.view(), receipt.body.anchorer, 0)).toBeDefined();
  });

  it('refuses a bad request whole, naming the item, writes nothing of it, and keeps serving', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node);
    const good = items(node, 3);
    const badSig = [...good.slice(0, 1), { ...good[1]!, sig: new Uint8Array(64) }, good[2]!];
    await expect(a.accept(badSig)).rejects.toMatchObject({ code: 'BAD_SIGNATURE', meta: { index: 1 } });
    const wrongChain = signItem(pureEd25519, node.device.signing.secretKey, node.device.signing.publicKey, 'other-chain', { kind: 'reading', payload: new Uint8Array(32) });
    await expect(a.accept([good[0]!, wrongChain])).rejects.toMatchObject({ code: 'BAD_SIGNATURE', meta: { index: 1 } });
    await expect(a.accept([good[0]!, ...items(node, 1, node.stranger)])).rejects.toMatchObject({ code: 'UNREGISTERED_SIGNER', meta: { index: 1 } });
    await expect(a.accept([])).rejects.toMatchObject({ code: 'INVALID_FIELD' });
    expect(good.flatMap((i) => a.store!.find(itemHash(CHAIN, i)))).toEqual([]);
    expect(a.status()).toMatchObject({ open: null });
    const ok = await a.accept(good);
    expect(ok.receipt.body.count).toBe(3);
  });

  it('anchors nothing without an organisation key', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node, { orgKeys: null });
    await expect(a.accept(items(node, 1))).rejects.toMatchObject({ code: 'ANCHOR_UNAVAILABLE' });
    const b = start(node, { orgKeys: node.device }); // a device key is registered, but does not anchor
    await expect(b.accept(items(node, 1))).rejects.toMatchObject({ code: 'ANCHOR_UNAVAILABLE' });
  });

  it('answers a challenge with the inclusion path, so it is settled', async () => {
    const node = new FakeNode(PARAMS);
    const a = start(node);
    const xs = items(node, 4);
    const { receipt, hashes } = await a.accept(xs);
    node.now += PARAMS.batchIntervalMs;
    a.tick();
    node.mine();
    const r = itemReceipts(receipt, [...hashes])[2]!;
    expect(node.send(node.device, 'challenge', { receipt: r }).code).toBe('OK');
    expect(node.pending()).toEqual(['anchors/respond']);
    expect(node.mine()[0]!.code).toBe('OK');
    expect(node.h.keys('anchors/challenge/')).toEqual([]);
    expect(node.h.keys('anchors/answered/')).toHaveLength(1);
  });

  it('is reported when it drops an item it gave a receipt for', async () => {
    const node = new FakeNode(PARAMS);
    const dir = node.deps().dataDir;
    const a = start(node, { dataDir: dir });
    const xs = items(node, 5);
    const { receipt, hashes } = await a.accept(xs);
    // a faulty (or dishonest) node loses an item after it signed the receipt
    const db = new Database(join(dir, `batches-${receipt.body.anchorer.slice(0, 16)}.sqlite`));
    db.prepare('DELETE FROM items WHERE item = ?').run(Buffer.from(hashes[1]!));
    db.close();
    node.now += PARAMS.batchIntervalMs;
    a.tick();
    node.mine();
    // the submitter rebuilds the batch from the node's leaves, as AnchorsClient.evidence does
    const tree = new BatchTree(a.store!.leaves(0, new Uint8Array(0), 100));
    expect(toHex(tree.root)).toBe(getBatch(node.h.view(), receipt.body.anchorer, 0)!.root);
    const shares = itemReceipts(receipt, [...hashes]);
    expect(node.send(node.device, 'report', { receipt: shares[0] }).code).toBe('ANCHOR_KEPT');
    const gap = tree.nonInclusion(hashes[1]!)!;
    expect(node.send(node.device, 'report', { receipt: shares[1], evidence: nonInclusionToJson(gap) }).code).toBe('OK');
    expect(node.h.view().get(misbehaviourKey(receipt.body.anchorer, 0, toHex(hashes[1]!)))).toMatchObject({ reason: 'omitted' });
  });

  it('keeps its promises across a restart: the open batch goes on, a closed one is anchored again', async () => {
    const node = new FakeNode(PARAMS);
    const dir = node.deps().dataDir;
    const a = start(node, { dataDir: dir });
    const first = await a.accept(items(node, 6));
    const second = await a.accept(items(node, 4)); // batch 0 closes, batch 1 is open
    expect(node.pending()).toEqual(['anchors/anchor']);
    node.dropMempool(); // the process dies before its anchor reached any peer
    await a.stop();
    running.splice(running.indexOf(a), 1);
    const b = start(node, { dataDir: dir });
    expect(b.status()).toMatchObject({ open: { batch: 1, items: 4 } });
    const third = await b.accept(items(node, 1));
    expect(third.receipt.body.batch).toBe(second.receipt.body.batch);
    node.now += OPTS.resubmitMs;
    b.tick();
    expect(node.pending()).toEqual(['anchors/anchor', 'anchors/anchor']);
    node.mine();
    expect(getBatch(node.h.view(), first.receipt.body.anchorer, 0)).toMatchObject({ count: 6 });
    expect(getBatch(node.h.view(), first.receipt.body.anchorer, 1)).toMatchObject({ count: 5 });
  });
});
