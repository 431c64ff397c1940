import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';

export const HASH_BYTES = 32;

let sha256Impl: (data: Uint8Array) => Uint8Array = nobleSha256;

export function sha256(data: Uint8Array): Uint8Array {
  return sha256Impl(data);
}

const ABC_DIGEST = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/**
 * Replaces the SHA-256 implementation for this process (a Node process installs OpenSSL's, about
 * twice as fast on the short inputs of the state tree; browsers keep the pure one). The candidate
 * must return a Uint8Array of its own (not a view into a shared pool) and agree with FIPS 180-2's
 * test vector, checked here; otherwise it is refused and the pure one stays.
 */
export function installSha256(impl: (data: Uint8Array) => Uint8Array): boolean {
  const out = impl(new TextEncoder().encode('abc'));
  const hex = Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== ABC_DIGEST || out.byteOffset !== 0 || out.buffer.byteLength !== 32) return false;
  sha256Impl = impl;
  return true;
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
