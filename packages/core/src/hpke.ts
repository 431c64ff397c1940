import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { SalusError } from './errors.js';
import { randomBytes } from './ed25519.js';
import { isBytes } from './bytes.js';

/**
 * Envelope encryption (RFC 9180 HPKE, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM): a fresh AES-256-GCM data key encrypts the content once; the data key is sealed to
 * each recipient's X25519 public key. The associated data binds what the ciphertext belongs to
 * (record id, version, patient pseudonym) so an envelope cannot be moved to another record.
 */
export const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

export interface Envelope {
  /** Recipient's X25519 public key. */
  readonly recipient: Uint8Array;
  /** HPKE encapsulated key. */
  readonly enc: Uint8Array;
  /** The data key sealed to the recipient. */
  readonly wrappedKey: Uint8Array;
}

export interface Sealed {
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly envelopes: readonly Envelope[];
}

const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;

/**
 * A copy as a plain ArrayBuffer, the type WebCrypto's signatures ask for. Uint8Array's own slice,
 * not the argument's: a Node Buffer's `slice` is a view that shares its (often pooled, 8 KiB)
 * memory, whose `.buffer` would be the whole pool.
 */
function ab(u: Uint8Array): ArrayBuffer {
  return Uint8Array.prototype.slice.call(u).buffer as ArrayBuffer;
}

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', ab(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

export async function wrapKey(dataKey: Uint8Array, recipient: Uint8Array, aad: Uint8Array): Promise<Envelope> {
  if (!isBytes(recipient, 32)) throw new SalusError('INVALID_FIELD', 'recipient X25519 key must be 32 bytes');
  let sealed: { ct: ArrayBuffer; enc: ArrayBuffer };
  try {
    const recipientPublicKey = await suite.kem.importKey('raw', ab(recipient), true);
    sealed = await suite.seal({ recipientPublicKey, info: aad }, dataKey, aad);
  } catch {
    // e.g. a low-order X25519 point, for which the shared secret is all zeros (RFC 9180 §7.1.4)
    throw new SalusError('INVALID_FIELD', 'recipient X25519 key is not a usable public key');
  }
  return { recipient, enc: new Uint8Array(sealed.enc), wrappedKey: new Uint8Array(sealed.ct) };
}

export async function unwrapKey(envelope: Envelope, secretKey: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  try {
    const recipientKey = await suite.kem.importKey('raw', ab(secretKey), false);
    const pt = await suite.open({ recipientKey, enc: envelope.enc, info: aad }, envelope.wrappedKey, aad);
    return new Uint8Array(pt);
  } catch {
    throw new SalusError('DECRYPTION_FAILED', 'the envelope does not open with this key');
  }
}

/**
 * The HPKE single-shot key wrap (base mode, sequence 0, info = aad), injectable like Ed25519: this
 * module's WebCrypto one (via @hpke/core) runs everywhere; a node process may pass a native one
 * (packages/node/src/crypto/native-hpke.ts) that gives the same bytes faster.
 */
export interface KeyWrap {
  wrapKey(dataKey: Uint8Array, recipient: Uint8Array, aad: Uint8Array): Promise<Envelope>;
  unwrapKey(envelope: Envelope, secretKey: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

export const webKeyWrap: KeyWrap = { wrapKey, unwrapKey };

export async function seal(plaintext: Uint8Array, recipients: readonly Uint8Array[], aad: Uint8Array, kw: KeyWrap = webKeyWrap): Promise<Sealed> {
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await aesKey(dataKey);
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: ab(nonce), additionalData: ab(aad) }, key, ab(plaintext)));
  const envelopes = await Promise.all(recipients.map((r) => kw.wrapKey(dataKey, r, aad)));
  dataKey.fill(0);
  return { nonce, ciphertext, envelopes };
}

export async function open(sealed: Sealed, envelope: Envelope, secretKey: Uint8Array, aad: Uint8Array, kw: KeyWrap = webKeyWrap): Promise<Uint8Array> {
  const dataKey = await kw.unwrapKey(envelope, secretKey, aad);
  try {
    const key = await aesKey(dataKey);
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: ab(sealed.nonce), additionalData: ab(aad) }, key, ab(sealed.ciphertext)));
  } catch {
    throw new SalusError('DECRYPTION_FAILED', 'the ciphertext does not decrypt: tampered or wrong associated data');
  } finally {
    dataKey.fill(0);
  }
}
