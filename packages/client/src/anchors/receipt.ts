import { SalusError, fromHex, leafHash, signObject, toHex, v, verifyInclusion, verifyObject, type Canonical, type Ed25519 } from '@salus/core';
import { MerkleLevels, type NonInclusion } from './tree.js';

/**
 * A node's receipt for the items of one request: signed at once, under the `anchor-receipt` domain,
 * by the node's anchoring key (an admin or service key of its organisation). It promises that every
 * item under `items` (an RFC 9162 root over the request's item hashes, in the order sent) will be
 * in batch `batch` of that key, and that the batch will be on the ledger by height `deadline`. One
 * signature covers a whole request, so a node answers thousands of items for the price of one; each
 * item's share of it is the item's path to `items` (an `ItemReceipt`), small enough for a report
 * transaction. Every value is a string, number or hex, so the JSON form is the canonical one.
 */
export interface ReceiptBody {
  /** the anchoring key (hex) */
  readonly anchorer: string;
  /** the batch's sequence number, unique per anchoring key */
  readonly batch: number;
  readonly deadline: number;
  /** RFC 9162 root (hex) over the request's item hashes */
  readonly items: string;
  readonly count: number;
  /** the node's clock when it signed (ms), for the submitter's records */
  readonly at: number;
}

export interface SignedReceipt {
  readonly body: ReceiptBody;
  readonly sig: string;
}

/** One item's receipt: the signed receipt and the item's path to its `items` root. */
export interface ItemReceipt {
  readonly receipt: SignedReceipt;
  readonly item: string;
  readonly index: number;
  readonly path: readonly string[];
}

const HEX32 = /^[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{128}$/;
/** the most items one receipt covers (a request's limit; the path stays ≤ 13 hashes) */
export const RECEIPT_ITEMS_MAX = 8192;

const body = (b: ReceiptBody): Canonical => ({ anchorer: b.anchorer, batch: b.batch, deadline: b.deadline, items: b.items, count: b.count, at: b.at });

export function signReceipt(ed: Ed25519, secretKey: Uint8Array, chainId: string, b: ReceiptBody): SignedReceipt {
  return { body: b, sig: toHex(signObject(ed, secretKey, 'anchor-receipt', chainId, body(b))) };
}

export function verifyReceipt(ed: Ed25519, chainId: string, r: SignedReceipt): boolean {
  return verifyObject(ed, fromHex(r.body.anchorer, 32), fromHex(r.sig, 64), 'anchor-receipt', chainId, body(r.body));
}

/** The tree of a request's item hashes, in the order sent (duplicates kept). */
export function receiptTree(hashes: readonly Uint8Array[]): MerkleLevels {
  return new MerkleLevels(hashes.map(leafHash));
}

/** Each item's receipt, from the signed receipt and the request's item hashes. */
export function itemReceipts(receipt: SignedReceipt, hashes: readonly Uint8Array[]): ItemReceipt[] {
  const tree = receiptTree(hashes);
  if (toHex(tree.root) !== receipt.body.items || tree.size !== receipt.body.count) throw new SalusError('BAD_PROOF', "the receipt's items root is not over these items");
  return hashes.map((h, index) => ({ receipt, item: toHex(h), index, path: tree.path(index).map(toHex) }));
}

/** Checks an item's receipt: the anchorer's signature, and the item under the receipt's root. Throws BAD_SIGNATURE / BAD_PROOF. */
export function checkItemReceipt(ed: Ed25519, chainId: string, r: ItemReceipt): void {
  if (!verifyReceipt(ed, chainId, r.receipt)) throw new SalusError('BAD_SIGNATURE', "the receipt's signature does not verify for its anchoring key on this chain");
  const proof = { leafIndex: r.index, treeSize: r.receipt.body.count, path: r.path.map((p) => fromHex(p, 32)) };
  if (!verifyInclusion(leafHash(fromHex(r.item, 32)), proof, fromHex(r.receipt.body.items, 32))) throw new SalusError('BAD_PROOF', 'the item is not under the receipt it names');
}

export function parseReceipt(x: unknown, field: string): SignedReceipt {
  const r = v.record(x, field);
  v.onlyKeys(r, ['body', 'sig'], field);
  const b = v.record(r.body, `${field}.body`);
  v.onlyKeys(b, ['anchorer', 'batch', 'deadline', 'items', 'count', 'at'], `${field}.body`);
  const count = v.uint(b.count, `${field}.body.count`, RECEIPT_ITEMS_MAX);
  if (count < 1) throw new SalusError('INVALID_FIELD', `${field}.body.count is at least 1`, { field: `${field}.body.count` });
  return {
    body: {
      anchorer: v.str(b.anchorer, `${field}.body.anchorer`, 64, HEX32),
      batch: v.uint(b.batch, `${field}.body.batch`),
      deadline: v.uint(b.deadline, `${field}.body.deadline`),
      items: v.str(b.items, `${field}.body.items`, 64, HEX32),
      count,
      at: v.uint(b.at, `${field}.body.at`),
    },
    sig: v.str(r.sig, `${field}.sig`, 128, HEX64),
  };
}

function hexPath(x: unknown, field: string): string[] {
  return v.list(x, field, 64).map((p, i) => v.str(p, `${field}[${i}]`, 64, HEX32));
}

export function parseItemReceipt(x: unknown, field = 'receipt'): ItemReceipt {
  const r = v.record(x, field);
  v.onlyKeys(r, ['receipt', 'item', 'index', 'path'], field);
  return { receipt: parseReceipt(r.receipt, `${field}.receipt`), item: v.str(r.item, `${field}.item`, 64, HEX32), index: v.uint(r.index, `${field}.index`, RECEIPT_ITEMS_MAX), path: hexPath(r.path, `${field}.path`) };
}

/** Non-inclusion evidence as JSON and transactions carry it (hex). */
export interface NonInclusionJson {
  readonly left?: { readonly item: string; readonly index: number; readonly path: readonly string[] };
  readonly right?: { readonly item: string; readonly index: number; readonly path: readonly string[] };
}

export function nonInclusionToJson(e: NonInclusion): NonInclusionJson {
  const n = (x: NonNullable<NonInclusion['left']>) => ({ item: toHex(x.item), index: x.index, path: x.path.map(toHex) });
  return { ...(e.left ? { left: n(e.left) } : {}), ...(e.right ? { right: n(e.right) } : {}) };
}

export function parseNonInclusion(x: unknown, field: string): NonInclusion {
  const r = v.record(x, field);
  v.onlyKeys(r, ['left', 'right'], field);
  const side = (y: unknown, f: string) => {
    const o = v.record(y, f);
    v.onlyKeys(o, ['item', 'index', 'path'], f);
    return { item: fromHex(v.str(o.item, `${f}.item`, 64, HEX32), 32), index: v.uint(o.index, `${f}.index`), path: hexPath(o.path, `${f}.path`).map((p) => fromHex(p, 32)) };
  };
  if (r.left === undefined && r.right === undefined) throw new SalusError('INVALID_FIELD', `${field} names a left or a right neighbour`, { field });
  return { ...(r.left === undefined ? {} : { left: side(r.left, `${field}.left`) }), ...(r.right === undefined ? {} : { right: side(r.right, `${field}.right`) }) };
}
