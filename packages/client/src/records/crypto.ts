import { SalusError, decode, encode, hmacSha256, hpke, randomBytes, sha256, toHex, utf8ToBytes, v, type Envelope, type KeyWrap } from '@salus/core';

/**
 * Record cryptography, done by the client so that no node sees content: a fresh AES-256-GCM data
 * key per version, wrapped with HPKE to each recipient's X25519 key, with the record id, version
 * and patient pseudonym bound as associated data (an envelope or ciphertext moved to another record
 * does not open). Blobs are canonical CBOR, stored by their SHA-256.
 */
export function recordAad(record: string, version: number, patient: string): Uint8Array {
  return utf8ToBytes(`salus/record\0${record}\0${version}\0${patient}`);
}

export function keyringAad(patient: string): Uint8Array {
  return utf8ToBytes(`salus/keyring\0${patient}`);
}

export function blobHash(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

export function encodeContent(s: { nonce: Uint8Array; ciphertext: Uint8Array }): Uint8Array {
  return encode({ v: 1, nonce: s.nonce, ciphertext: s.ciphertext });
}

export function decodeContent(bytes: Uint8Array): { nonce: Uint8Array; ciphertext: Uint8Array } {
  const r = v.record(decode(bytes, 2 * 1024 * 1024), 'content');
  v.onlyKeys(r, ['v', 'nonce', 'ciphertext'], 'content');
  return { nonce: v.bytes(r.nonce, 'nonce', 12), ciphertext: v.bytes(r.ciphertext, 'ciphertext') };
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  return encode({ v: 1, recipient: e.recipient, enc: e.enc, wrappedKey: e.wrappedKey });
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = v.record(decode(bytes, 4096), 'envelope');
  v.onlyKeys(r, ['v', 'recipient', 'enc', 'wrappedKey'], 'envelope');
  return { recipient: v.bytes(r.recipient, 'recipient', 32), enc: v.bytes(r.enc, 'enc', 32), wrappedKey: v.bytes(r.wrappedKey, 'wrappedKey') };
}

export interface SealedBlobs {
  readonly content: Uint8Array;
  readonly envelopes: readonly { readonly to: string; readonly bytes: Uint8Array }[];
}

export async function sealBlobs(plaintext: Uint8Array, recipients: readonly Uint8Array[], aad: Uint8Array, kw: KeyWrap = hpke.webKeyWrap): Promise<SealedBlobs> {
  const sealed = await hpke.seal(plaintext, recipients, aad, kw);
  return { content: encodeContent(sealed), envelopes: sealed.envelopes.map((e) => ({ to: toHex(e.recipient), bytes: encodeEnvelope(e) })) };
}

export async function openBlobs(content: Uint8Array, envelope: Uint8Array, secretKey: Uint8Array, aad: Uint8Array, kw: KeyWrap = hpke.webKeyWrap): Promise<Uint8Array> {
  const c = decodeContent(content);
  return hpke.open({ ...c, envelopes: [] }, decodeEnvelope(envelope), secretKey, aad, kw);
}

/** A data key re-wrapped for a new recipient by a holder of an envelope (the patient or the authoring organisation). */
export async function rewrap(envelope: Uint8Array, holderSecret: Uint8Array, recipient: Uint8Array, aad: Uint8Array, kw: KeyWrap = hpke.webKeyWrap): Promise<Uint8Array> {
  const dataKey = await kw.unwrapKey(decodeEnvelope(envelope), holderSecret, aad);
  try {
    return encodeEnvelope(await kw.wrapKey(dataKey, recipient, aad));
  } finally {
    dataKey.fill(0);
  }
}

// ── the patient's keyring: the tag key, sealed to the patient and the parties that write records ──

export async function sealKeyring(tagKey: Uint8Array, recipients: readonly Uint8Array[], patient: string, kw: KeyWrap = hpke.webKeyWrap): Promise<Uint8Array> {
  const s = await hpke.seal(tagKey, recipients, keyringAad(patient), kw);
  return encode({ v: 1, nonce: s.nonce, ciphertext: s.ciphertext, envelopes: s.envelopes.map((e) => ({ recipient: e.recipient, enc: e.enc, wrappedKey: e.wrappedKey })) });
}

export async function openKeyring(bytes: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array, patient: string, kw: KeyWrap = hpke.webKeyWrap): Promise<Uint8Array> {
  const r = v.record(decode(bytes, 64 * 1024), 'keyring');
  const envs = v.list(r.envelopes, 'keyring.envelopes', 64) as Envelope[];
  const mine = envs.find((e) => toHex(e.recipient) === toHex(publicKey));
  if (!mine) throw new SalusError('DECRYPTION_FAILED', 'the keyring has no envelope for this key');
  const key = await hpke.open({ nonce: v.bytes(r.nonce, 'nonce', 12), ciphertext: v.bytes(r.ciphertext, 'ciphertext'), envelopes: [] }, mine, secretKey, keyringAad(patient), kw);
  if (key.length !== 32) throw new SalusError('DECRYPTION_FAILED', 'the keyring does not hold a 32-byte tag key');
  return key;
}

export function newTagKey(): Uint8Array {
  return randomBytes(32);
}

// ── tags: keyed commitments to resource type and codes, so grants can name them without the ledger learning them ──

export function tag(tagKey: Uint8Array, label: string): string {
  return toHex(hmacSha256(tagKey, utf8ToBytes(label)));
}

interface Coding {
  system?: string;
  code?: string;
}
interface Codeable {
  coding?: Coding[];
}

function codings(c: unknown): Coding[] {
  const list = Array.isArray(c) ? (c as Codeable[]) : c ? [c as Codeable] : [];
  return list.flatMap((x) => (Array.isArray(x?.coding) ? x.coding : [])).filter((k) => typeof k?.code === 'string');
}

/** Labels of a FHIR resource: its type, and "type|system|code" for each coding of its code and category. */
export function resourceLabels(resource: { resourceType?: unknown; code?: unknown; category?: unknown; vaccineCode?: unknown; medicationCodeableConcept?: unknown; type?: unknown }): string[] {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !/^[A-Z][A-Za-z]{1,63}$/.test(type)) throw new SalusError('INVALID_FIELD', 'a record is a FHIR resource with a resourceType', { field: 'resourceType' });
  const labels = new Set([`type:${type}`]);
  for (const field of ['code', 'vaccineCode', 'medicationCodeableConcept', 'type'] as const) {
    for (const k of codings(resource[field])) labels.add(`code:${type}|${k.system ?? ''}|${k.code}`);
  }
  for (const k of codings(resource.category)) labels.add(`category:${type}|${k.system ?? ''}|${k.code}`);
  return [...labels].slice(0, 16);
}

export function typeLabel(type: string): string {
  return `type:${type}`;
}

export function codeLabel(type: string, system: string, code: string): string {
  return `code:${type}|${system}|${code}`;
}

export function categoryLabel(type: string, system: string, code: string): string {
  return `category:${type}|${system}|${code}`;
}

/** The emergency data set (the International Patient Summary's core sections). */
export const EMERGENCY_TYPES = ['AllergyIntolerance', 'Condition', 'MedicationRequest', 'MedicationStatement', 'Immunization', 'Procedure', 'Device'] as const;
