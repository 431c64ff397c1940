import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, fromHex, generateIdentityKeys, pureEd25519, sha256, toHex } from '@salus/core';
import {
  itemSignBytes,
  itemSignBytesGeneric,
  checkItemReceipt,
  itemHash,
  itemReceipts,
  itemToCbor,
  itemToJson,
  parseItem,
  parseItemReceipt,
  receiptTree,
  signItem,
  signReceipt,
  verifyItem,
  verifyReceipt,
  type ItemReceipt,
} from '@salus/client';

/** Items and receipts: what a submitter and a node sign, how they travel, and what a forger cannot change. */
const ed = pureEd25519;
const CHAIN = 'salus-anchor-test';
const submitter = generateIdentityKeys();
const node = generateIdentityKeys();
const item = (n: number, label?: string) => signItem(ed, submitter.signing.secretKey, submitter.signing.publicKey, CHAIN, { kind: 'reading', payload: sha256(new Uint8Array([n])), ...(label ? { label } : {}) });

function receiptFor(hashes: Uint8Array[]) {
  const body = { anchorer: toHex(node.signing.publicKey), batch: 7, deadline: 120, items: toHex(receiptTree(hashes).root), count: hashes.length, at: 1_700_000_000_000 };
  return signReceipt(ed, node.signing.secretKey, CHAIN, body);
}

describe('anchor items', () => {
  it('verify on their chain only, and their hash commits to kind, label, payload, submitter and signature', () => {
    const a = item(1, 'device-7');
    expect(verifyItem(ed, CHAIN, a)).toBe(true);
    expect(verifyItem(ed, 'other-chain', a)).toBe(false);
    expect(verifyItem(ed, CHAIN, { ...a, kind: 'other' })).toBe(false);
    expect(verifyItem(ed, CHAIN, { ...a, label: undefined })).toBe(false);
    const h = toHex(itemHash(CHAIN, a));
    expect(toHex(itemHash(CHAIN, item(1, 'device-7')))).toBe(h); // Ed25519 is deterministic: the same item again is the same item
    for (const changed of [item(2, 'device-7'), item(1, 'device-8'), item(1)]) expect(toHex(itemHash(CHAIN, changed))).not.toBe(h);
    expect(toHex(itemHash('other-chain', a))).not.toBe(h);
  });

  it('have the sign bytes of the generic canonical encoder, byte for byte, whatever their kind, label and chain', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9._-]{0,31}$/),
        fc.option(fc.string({ minLength: 1, maxLength: 70 }), { nil: undefined }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 31, maxLength: 33 }),
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
        (kind, label, payload, submitter, chain) => {
          const body = { kind, payload, submitter, ...(label === undefined ? {} : { label }) };
          expect(Buffer.from(itemSignBytes(chain, body)).toString('hex')).toBe(Buffer.from(itemSignBytesGeneric(chain, body)).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('travel as CBOR (bytes) and JSON (hex) and parse back to the same item', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.option(fc.stringMatching(/^[\x20-\x7e]{1,64}$/), { nil: undefined }), (payload, label) => {
        const a = signItem(ed, submitter.signing.secretKey, submitter.signing.publicKey, CHAIN, { kind: 'x.y-z_1', payload, ...(label === undefined ? {} : { label }) });
        expect(parseItem(decode(encode(itemToCbor(a))), 'item', 'cbor')).toEqual(a);
        expect(parseItem(JSON.parse(JSON.stringify(itemToJson(a))), 'item', 'json')).toEqual(a);
      }),
      { numRuns: 30 },
    );
  });

  it('refuse bad fields with INVALID_FIELD naming them', () => {
    const j = itemToJson(item(1));
    const bad: [unknown, string][] = [
      [{ ...j, kind: 'Reading' }, 'item.kind'],
      [{ ...j, kind: 'k'.repeat(33) }, 'item.kind'],
      [{ ...j, label: '' }, 'item.label'],
      [{ ...j, label: 'é' }, 'item.label'],
      [{ ...j, payload: j.payload.slice(2) }, 'item.payload'],
      [{ ...j, sig: 'zz' + j.sig.slice(2) }, 'item.sig'],
      [{ ...j, extra: 1 }, 'item.extra'],
      [[], 'item'],
    ];
    for (const [x, field] of bad) expect(() => parseItem(x, 'item', 'json')).toThrow(expect.objectContaining({ code: 'INVALID_FIELD', meta: { field } }));
    expect(() => parseItem({ ...itemToCbor(item(1)) as object, payload: new Uint8Array(31) }, 'item', 'cbor')).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => signItem(ed, submitter.signing.secretKey, submitter.signing.publicKey, CHAIN, { kind: 'BAD', payload: new Uint8Array(32) })).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
  });
});

describe('receipts', () => {
  const hashes = [1, 2, 3, 2, 5].map((n) => itemHash(CHAIN, item(n)));
  const receipt = receiptFor(hashes);

  it("give every item of a request its share: the node's one signature and the item's path", () => {
    expect(verifyReceipt(ed, CHAIN, receipt)).toBe(true);
    const shares = itemReceipts(receipt, hashes);
    expect(shares).toHaveLength(5);
    for (const r of shares) {
      checkItemReceipt(ed, CHAIN, r);
      expect(parseItemReceipt(JSON.parse(JSON.stringify(r)))).toEqual(r);
    }
    expect(() => itemReceipts(receipt, hashes.slice(1))).toThrow(expect.objectContaining({ code: 'BAD_PROOF' }));
  });

  it('catch a forged receipt: another body, another item, another index, another chain, another key', () => {
    const r = itemReceipts(receipt, hashes)[2]!;
    const expectCode = (x: ItemReceipt, code: string, chain = CHAIN) => expect(() => checkItemReceipt(ed, chain, x)).toThrow(expect.objectContaining({ code }));
    expectCode({ ...r, receipt: { ...r.receipt, body: { ...r.receipt.body, deadline: 500 } } }, 'BAD_SIGNATURE');
    expectCode({ ...r, receipt: { ...r.receipt, body: { ...r.receipt.body, batch: 8 } } }, 'BAD_SIGNATURE');
    expectCode({ ...r, item: toHex(sha256(fromHex(r.item))) }, 'BAD_PROOF');
    expectCode({ ...r, index: 1 }, 'BAD_PROOF');
    expectCode(r, 'BAD_SIGNATURE', 'other-chain');
    const other = generateIdentityKeys();
    const resigned = signReceipt(ed, other.signing.secretKey, CHAIN, r.receipt.body);
    expectCode({ ...r, receipt: resigned }, 'BAD_SIGNATURE');
  });

  it('refuse malformed receipts with INVALID_FIELD', () => {
    type Loose = { receipt: { body: Record<string, unknown>; sig: string }; path: string[]; index: number } & Record<string, unknown>;
    const r = JSON.parse(JSON.stringify(itemReceipts(receipt, hashes)[0])) as Loose;
    for (const mutate of [
      (x: Loose) => (x.receipt.body.count = 0),
      (x: Loose) => (x.receipt.body.anchorer = 'AB'),
      (x: Loose) => (x.receipt.sig = x.receipt.sig.slice(2)),
      (x: Loose) => (x.path = ['00']),
      (x: Loose) => (x.index = -1),
      (x: Loose) => (x.extra = true),
      (x: Loose) => delete (x as Partial<Loose>).receipt,
    ]) {
      const copy = structuredClone(r);
      mutate(copy);
      expect(() => parseItemReceipt(copy)).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    }
  });
});
