import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, pureEd25519, sha256, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { createModuleHarness, type ModuleHarness, type TxResult } from '@salus/module';
import { identityModule } from '@salus/identity';
import { BatchTree, itemHash, itemReceipts, nonInclusionToJson, receiptTree, signItem, signReceipt, sortItems, type ItemReceipt } from '@salus/client';
import { anchorsModule, batchStateKey, challengeKey, getBatch, misbehaviourKey } from '../src/index.js';

/**
 * The validators' side, through the real module manager: anchors by anchoring keys only, each batch
 * number once, never past its deadline; reports of broken receipts accepted only with what proves
 * them (a batch late by the ledger's own heights, a verified absence, an unanswered challenge), and
 * refused against an honest node. Every refusal is typed and writes nothing.
 */
const ed = pureEd25519;
const CHAIN = 'salus-anchors-ledger';
const admin = generateIdentityKeys();
const member = generateIdentityKeys();
const hex = (k: IdentityKeys) => toHex(k.signing.publicKey);
const PARAMS = { batchItemsMax: 8, batchIntervalMs: 1000, deadlineBlocks: 10, challengeBlocks: 4 };

const NONE = Symbol('no section');

function ledger(section: unknown = PARAMS): ModuleHarness {
  const h = createModuleHarness({
    modules: [identityModule, anchorsModule],
    genesis: {
      chainId: CHAIN,
      genesisTime: 1_700_000_000_000,
      organisations: [{ id: 'lab-1', name: 'Lab', kind: 'other', adminKey: hex(admin), encryptionKey: toHex(admin.encryption.publicKey) }],
      validators: [{ pubKey: hex(generateIdentityKeys()), power: 10, org: 'lab-1' }],
      ...(section === NONE ? {} : { modules: { anchors: section } }),
    },
  });
  const added = h.exec({ signer: admin, module: 'identity', type: 'add_member', payload: { org: 'lab-1', signingKey: hex(member), encryptionKey: toHex(member.encryption.publicKey), role: 'device', name: 'Sensor' } });
  expect(added.code).toBe('OK');
  return h;
}

const tx = (h: ModuleHarness, signer: IdentityKeys, type: string, payload: unknown): TxResult => h.exec({ signer, module: 'anchors', type, payload: payload as Canonical });
const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => signItem(ed, member.signing.secretKey, member.signing.publicKey, CHAIN, { kind: 'reading', payload: sha256(new Uint8Array([from + i])) }));

/** A node's receipt for `promised` in batch `batch`, and the anchor it then sends for `kept` (an honest node keeps all). */
function batchOf(promised: Uint8Array[], kept: Uint8Array[], batch: number, deadline: number) {
  const receipt = signReceipt(ed, admin.signing.secretKey, CHAIN, { anchorer: hex(admin), batch, deadline, items: toHex(receiptTree(promised).root), count: promised.length, at: 0 });
  const tree = new BatchTree(sortItems(kept));
  return { receipts: itemReceipts(receipt, promised), tree, anchor: { batch, root: toHex(tree.root), count: tree.size, deadline } };
}

const hashes = (n: number, from = 0) => items(from, n).map((i) => itemHash(CHAIN, i));
const stateKeys = (h: ModuleHarness) => h.keys('anchors/');

describe('anchors on the ledger', () => {
  it("anchors a batch signed by an organisation's admin or service key, each number once, by its deadline", () => {
    const h = ledger();
    const { anchor } = batchOf(hashes(4), hashes(4), 0, h.height + 5);
    expect(tx(h, admin, 'anchor', anchor).code).toBe('OK');
    expect(getBatch(h.view(), hex(admin), 0)).toMatchObject({ root: anchor.root, count: 4, height: h.height, org: 'lab-1' });
    const before = stateKeys(h);
    expect(tx(h, admin, 'anchor', anchor).code).toBe('CONFLICT');
    expect(tx(h, member, 'anchor', { ...anchor, batch: 1 }).code).toBe('FORBIDDEN'); // a device key does not anchor
    expect(tx(h, admin, 'anchor', { ...anchor, batch: 1, deadline: h.height }).code).toBe('ANCHOR_LATE');
    expect(tx(h, admin, 'anchor', { ...anchor, batch: 1, deadline: h.height + 50 }).code).toBe('INVALID_FIELD');
    expect(tx(h, admin, 'anchor', { ...anchor, batch: 1, count: 9 }).code).toBe('OVERSIZE');
    expect(tx(h, admin, 'anchor', { ...anchor, batch: 1, root: 'zz' }).code).toBe('INVALID_FIELD');
    expect(tx(h, admin, 'anchor', { ...anchor, batch: 1, count: 0 }).code).toBe('INVALID_FIELD');
    expect(stateKeys(h)).toEqual(before);
  });

  it('refuses a report against an honest node: batch on time, item in it', () => {
    const h = ledger();
    const all = hashes(5);
    const { receipts, tree, anchor } = batchOf(all, all, 0, h.height + 6);
    const r = receipts[2]!;
    expect(tx(h, member, 'report', { receipt: r }).code).toBe('ANCHOR_NOT_DUE');
    expect(tx(h, admin, 'anchor', anchor).code).toBe('OK');
    expect(tx(h, member, 'report', { receipt: r }).code).toBe('ANCHOR_KEPT');
    // a forger's evidence: two real leaves that are not neighbours, with the item between them
    const at = tree.search(bytesOf(r.item));
    const n = (i: number) => ({ item: toHex(tree.item(i)), index: i, path: tree.path(i).map(toHex) });
    if (at > 0 && at < tree.size - 1) expect(tx(h, member, 'report', { receipt: r, evidence: { left: n(at - 1), right: n(at + 1) } }).code).toBe('BAD_PROOF');
    expect(tx(h, member, 'report', { receipt: r, evidence: { left: n(tree.size - 1) } }).code).toBe('BAD_PROOF');
    expect(tx(h, member, 'report', { receipt: r, evidence: { right: n(0) } }).code).toBe('BAD_PROOF');
    for (let i = 0; i < 8; i++) h.block();
    expect(tx(h, member, 'report', { receipt: r }).code).toBe('ANCHOR_KEPT'); // long after the deadline, still on time
    expect(h.keys('anchors/misbehaviour/')).toEqual([]);
  });

  it('records a node that drops an item it gave a receipt for, proven by the neighbours of its absence', () => {
    const h = ledger();
    const all = hashes(6);
    const dropped = all[3]!;
    const { receipts, tree, anchor } = batchOf(all, all.filter((x) => x !== dropped), 0, h.height + 6);
    expect(tx(h, admin, 'anchor', anchor).code).toBe('OK');
    const evidence = nonInclusionToJson(tree.nonInclusion(dropped)!);
    const res = tx(h, member, 'report', { receipt: receipts[3], evidence });
    expect(res.code).toBe('OK');
    expect(res.events).toEqual([{ type: 'anchors.misbehaviour', attributes: { anchorer: hex(admin), org: 'lab-1', batch: 0, item: toHex(dropped), reason: 'omitted' } }]);
    expect(h.view().get(misbehaviourKey(hex(admin), 0, toHex(dropped)))).toMatchObject({ reason: 'omitted', reporter: hex(member) });
    expect(tx(h, member, 'report', { receipt: receipts[3], evidence }).code).toBe('CONFLICT');
    // the evidence is about that item only: a kept item with it is refused
    expect(tx(h, member, 'report', { receipt: receipts[2], evidence }).code).toBe('BAD_PROOF');
  });

  it('records a batch not on the ledger by its deadline, or anchored after the deadline its receipts named', () => {
    const h = ledger();
    const { receipts } = batchOf(hashes(3), hashes(3), 0, h.height + 3);
    for (let i = 0; i < 3; i++) h.block();
    expect(tx(h, member, 'report', { receipt: receipts[0] }).code).toBe('OK');
    expect(h.view().get(misbehaviourKey(hex(admin), 0, receipts[0]!.item))).toMatchObject({ reason: 'late' });
    // receipts promising height d, a batch anchored later under a later deadline of its own
    const second = batchOf(hashes(3, 10), hashes(3, 10), 1, h.height + 1);
    h.block();
    h.block();
    expect(tx(h, admin, 'anchor', { ...second.anchor, deadline: h.height + 5 }).code).toBe('OK');
    expect(tx(h, member, 'report', { receipt: second.receipts[1] }).code).toBe('OK');
    expect(h.view().get(misbehaviourKey(hex(admin), 1, second.receipts[1]!.item))).toMatchObject({ reason: 'late' });
  });

  it('refuses receipts that do not verify, with nothing written', () => {
    const h = ledger();
    const { receipts } = batchOf(hashes(3), hashes(3), 0, h.height + 2);
    for (let i = 0; i < 3; i++) h.block();
    const r = receipts[1]!;
    const before = stateKeys(h);
    const forged: ItemReceipt = { ...r, receipt: { ...r.receipt, body: { ...r.receipt.body, deadline: 1 } } };
    expect(tx(h, member, 'report', { receipt: forged }).code).toBe('BAD_SIGNATURE');
    expect(tx(h, member, 'report', { receipt: { ...r, index: 0 } }).code).toBe('BAD_PROOF');
    const stranger = generateIdentityKeys();
    const theirs = signReceipt(ed, stranger.signing.secretKey, CHAIN, { ...r.receipt.body, anchorer: hex(stranger) });
    expect(tx(h, member, 'report', { receipt: { ...r, receipt: theirs } }).code).toBe('NOT_FOUND'); // not a registered key
    expect(tx(h, member, 'report', { receipt: { ...r, extra: 1 } }).code).toBe('INVALID_FIELD');
    expect(tx(h, member, 'report', {}).code).toBe('INVALID_FIELD');
    expect(stateKeys(h)).toEqual(before);
  });

  it('settles a challenge answered with the inclusion path; an unanswered one becomes misbehaviour when due', () => {
    const h = ledger();
    const all = hashes(5);
    const { receipts, tree, anchor } = batchOf(all, all.slice(0, 4), 0, h.height + 6);
    expect(tx(h, member, 'challenge', { receipt: receipts[0] }).code).toBe('ANCHOR_NOT_DUE');
    expect(tx(h, admin, 'anchor', anchor).code).toBe('OK');
    const kept = receipts[1]!;
    const c = tx(h, member, 'challenge', { receipt: kept });
    expect(c.code).toBe('OK');
    expect(tx(h, member, 'challenge', { receipt: kept }).code).toBe('CONFLICT');
    const i = tree.search(bytesOf(kept.item));
    const answer = { anchorer: hex(admin), batch: 0, item: kept.item, index: i, path: tree.path(i).map(toHex) };
    expect(tx(h, member, 'respond', { ...answer, index: (i + 1) % tree.size }).code).toBe('BAD_PROOF');
    expect(tx(h, member, 'respond', answer).code).toBe('OK'); // anyone may answer with the proof
    expect(h.view().get(challengeKey(hex(admin), 0, kept.item))).toBeUndefined();
    expect(tx(h, member, 'respond', answer).code).toBe('NOT_FOUND');
    expect(tx(h, member, 'challenge', { receipt: kept }).code).toBe('CONFLICT');

    const dropped = receipts[4]!;
    expect(tx(h, member, 'challenge', { receipt: dropped }).code).toBe('OK');
    for (let k = 0; k < PARAMS.challengeBlocks; k++) h.block();
    expect(h.view().get(misbehaviourKey(hex(admin), 0, dropped.item))).toMatchObject({ reason: 'unanswered', reporter: hex(member) });
    expect(h.keys('anchors/challenge/')).toEqual([]);
    expect(h.keys('anchors/due/')).toEqual([]);
    expect(h.view().get(misbehaviourKey(hex(admin), 0, kept.item))).toBeUndefined();
  });

  it('takes its parameters from genesis, the defaults without a section, and refuses a bad section', () => {
    expect(ledger().view().get('anchors/params')).toEqual(PARAMS);
    expect(ledger(NONE).keys('anchors/')).toEqual([]);
    for (const bad of [{ batchItemsMax: 0 }, { deadlineBlocks: 2 }, { nope: 1 }, { batchItemsMax: 1 << 21 }, 'x']) {
      expect(() => ledger(bad)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
    expect(batchStateKey('ab', 3)).toBe('anchors/batch/ab/3');
  });
});

function bytesOf(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
