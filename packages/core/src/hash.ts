import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';

export const HASH_BYTES = 32;

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA256 (RFC 2104): keyed commitments such as record tags. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(nobleSha256, key, data);
}

/** A patient's pseudonymous id: derived from the patient's first key, so it says nothing about the person. */
export function patientPseudonym(signingKey: Uint8Array): string {
  const prefix = new TextEncoder().encode('salus/patient\0');
  const all = new Uint8Array(prefix.length + signingKey.length);
  all.set(prefix);
  all.set(signingKey, prefix.length);
  return `pat-${Array.from(nobleSha256(all).subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
