import { SalusError, concatBytes, fromHex, isBytes, sha256, signBytes, toHex, utf8ToBytes, v, type Canonical, type Ed25519 } from '@salus/core';

/**
 * An anchored item (layer 2): what a submitter signs and a node batches. It is domain-neutral: an
 * opaque payload hash (the submitter hashes its own data; the data never leaves it), a short kind
 * and an optional label, both free of personal data. The item's hash, its identity in receipts,
 * batches and proofs, commits to the signature too:
 *   SHA-256("SALUS\0anchor-item\0<chain id>\0" ‖ CBOR(body) ‖ signature)
 * Ed25519 signatures (RFC 8032, strict) are deterministic, so the same body signed by the same key
 * is the same item, whichever node receives it and however often.
 */
export interface AnchorItem {
  readonly kind: string;
  readonly label?: string;
  /** SHA-256 of the submitter's data (32 bytes) */
  readonly payload: Uint8Array;
  /** the submitter's Ed25519 public key: an active registered identity */
  readonly submitter: Uint8Array;
  readonly sig: Uint8Array;
}

/** The same item as JSON carries it: bytes as lower-case hex. */
export interface AnchorItemJson {
  readonly kind: string;
  readonly label?: string;
  readonly payload: string;
  readonly submitter: string;
  readonly sig: string;
}

export const ITEM_KIND = /^[a-z][a-z0-9._-]{0,31}$/;
export const ITEM_LABEL = /^[\x20-\x7e]{1,64}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{128}$/;

export type ItemInput = Pick<AnchorItem, 'kind' | 'label' | 'payload'>;

/** What the submitter signs (the label only when there is one, so each item has one encoding). */
export function itemBody(i: Omit<AnchorItem, 'sig'>): Canonical {
  const body = { kind: i.kind, payload: i.payload, submitter: i.submitter };
  return i.label === undefined ? body : { ...body, label: i.label };
}

/** "SALUS\0anchor-item\0<chain id>\0" per chain (signBytes checks the chain id once) */
const prefixes = new Map<string, Uint8Array>();
const KEY = { kind: utf8ToBytes('kind'), label: utf8ToBytes('label'), payload: utf8ToBytes('payload'), submitter: utf8ToBytes('submitter') };
const ASCII_SHORT = /^[\x20-\x7e]{1,64}$/;

/**
 * signBytes('anchor-item', chainId, itemBody(i)), written directly: an item's body has one fixed
 * shape, and a node computes these bytes for every item it takes, so the generic encoder's work
 * (about a tenth of a verification) is saved. The map's keys in canonical order (RFC 8949 §4.2.1:
 * shorter encodings first): kind, label, payload, submitter. Anything outside that shape takes
 * the generic path; the tests hold both to the same bytes.
 */
export function itemSignBytes(chainId: string, i: Omit<AnchorItem, 'sig'>): Uint8Array {
  const { kind, label, payload, submitter } = i;
  if (!ASCII_SHORT.test(kind) || (label !== undefined && !ASCII_SHORT.test(label)) || !isBytes(payload, 32) || !isBytes(submitter, 32)) return signBytes('anchor-item', chainId, itemBody(i));
  let prefix = prefixes.get(chainId);
  if (!prefix) {
    prefix = signBytes('anchor-item', chainId, null).slice(0, -1); // without encode(null)
    if (prefixes.size > 16) prefixes.clear();
    prefixes.set(chainId, prefix);
  }
  const text = (s: string) => (s.length < 24 ? [0x60 | s.length] : [0x78, s.length]);
  const out = new Uint8Array(prefix.length + 1 + 5 + 2 + kind.length + (label === undefined ? 0 : 6 + 2 + label.length) + 8 + 34 + 10 + 34);
  let at = 0;
  const put = (b: ArrayLike<number>) => {
    out.set(b, at);
    at += b.length;
  };
  const ascii = (s: string) => {
    for (let k = 0; k < s.length; k++) out[at++] = s.charCodeAt(k);
  };
  put(prefix);
  put([label === undefined ? 0xa3 : 0xa4]);
  const field = (key: Uint8Array, value: () => void) => {
    put([0x60 | key.length]);
    put(key);
    value();
  };
  field(KEY.kind, () => (put(text(kind)), ascii(kind)));
  if (label !== undefined) field(KEY.label, () => (put(text(label)), ascii(label)));
  field(KEY.payload, () => (put([0x58, 32]), put(payload)));
  field(KEY.submitter, () => (put([0x58, 32]), put(submitter)));
  return out.subarray(0, at);
}

/** The generic form of the same bytes (what itemSignBytes must equal). */
export const itemSignBytesGeneric = (chainId: string, i: Omit<AnchorItem, 'sig'>): Uint8Array => signBytes('anchor-item', chainId, itemBody(i));

/** The item's hash from its sign bytes and signature (what a node computes once per item). */
export function itemHashOf(signed: Uint8Array, sig: Uint8Array): Uint8Array {
  return sha256(concatBytes(signed, sig));
}

export function itemHash(chainId: string, i: AnchorItem): Uint8Array {
  return itemHashOf(itemSignBytes(chainId, i), i.sig);
}

function checkInput(i: ItemInput): void {
  if (!ITEM_KIND.test(i.kind)) throw new SalusError('INVALID_FIELD', `an item's kind is 1-32 characters of a-z, 0-9, ".", "_", "-", starting with a letter`, { field: 'kind' });
  if (i.label !== undefined && !ITEM_LABEL.test(i.label)) throw new SalusError('INVALID_FIELD', "an item's label is 1-64 printable ASCII characters", { field: 'label' });
  v.bytes(i.payload, 'payload', 32);
}

/** Signs an item with a submitter's key (the wallet's `signAnchorItem` is the usual way). */
export function signItem(ed: Ed25519, secretKey: Uint8Array, publicKey: Uint8Array, chainId: string, i: ItemInput): AnchorItem {
  checkInput(i);
  const unsigned = { kind: i.kind, ...(i.label === undefined ? {} : { label: i.label }), payload: i.payload, submitter: publicKey };
  return { ...unsigned, sig: ed.sign(secretKey, itemSignBytes(chainId, unsigned)) };
}

export function verifyItem(ed: Ed25519, chainId: string, i: AnchorItem): boolean {
  return ed.verify(i.submitter, itemSignBytes(chainId, i), i.sig);
}

export function itemToJson(i: AnchorItem): AnchorItemJson {
  return { kind: i.kind, ...(i.label === undefined ? {} : { label: i.label }), payload: toHex(i.payload), submitter: toHex(i.submitter), sig: toHex(i.sig) };
}

/** The CBOR wire form of an item: the signed body's fields and the signature, bytes as bytes. */
export function itemToCbor(i: AnchorItem): Canonical {
  return { ...(itemBody(i) as Record<string, Canonical>), sig: i.sig };
}

/**
 * An item from a request or a file: `form` says whether bytes come as bytes (CBOR) or as hex (JSON).
 * Throws INVALID_FIELD naming the field; the signature is checked by whoever accepts the item.
 */
export function parseItem(x: unknown, field: string, form: 'cbor' | 'json'): AnchorItem {
  const r = v.record(x, field);
  v.onlyKeys(r, ['kind', 'label', 'payload', 'submitter', 'sig'], field);
  const bytes = (value: unknown, name: string, n: number): Uint8Array =>
    form === 'cbor' ? v.bytes(value, `${field}.${name}`, n) : fromHex(v.str(value, `${field}.${name}`, n * 2, n === 64 ? HEX64 : HEX32), n);
  const kind = v.str(r.kind, `${field}.kind`, 32, ITEM_KIND);
  const label = r.label === undefined ? undefined : v.str(r.label, `${field}.label`, 64, ITEM_LABEL);
  const item = { kind, payload: bytes(r.payload, 'payload', 32), submitter: bytes(r.submitter, 'submitter', 32), sig: bytes(r.sig, 'sig', 64) };
  return label === undefined ? item : { ...item, label };
}
