import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { SalusError } from './errors.js';
import { isBytes } from './bytes.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/**
 * The signature primitive is injectable so that the same code runs in the browser (pure JS, below)
 * and in the node, which passes a native OpenSSL-backed implementation several times faster.
 */
export interface Ed25519 {
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  publicKey(secretKey: Uint8Array): Uint8Array;
}

export const pureEd25519: Ed25519 = {
  sign: (sk, msg) => ed25519.sign(msg, sk),
  verify: (pk, msg, sig) => {
    if (!isBytes(pk, PUBLIC_KEY_BYTES) || !isBytes(sig, SIGNATURE_BYTES)) return false;
    try {
      // zip215: false gives RFC 8032 strict verification, as OpenSSL does.
      return ed25519.verify(sig, msg, pk, { zip215: false });
    } catch {
      return false;
    }
  },
  publicKey: (sk) => ed25519.getPublicKey(sk),
};

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** A signing key pair (Ed25519) and an encryption key pair (X25519), as every identity holds. */
export interface IdentityKeys {
  readonly signing: KeyPair;
  readonly encryption: KeyPair;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function generateIdentityKeys(seed?: { signing: Uint8Array; encryption: Uint8Array }): IdentityKeys {
  const sSk = seed?.signing ?? randomBytes(SECRET_KEY_BYTES);
  const eSk = seed?.encryption ?? randomBytes(SECRET_KEY_BYTES);
  if (!isBytes(sSk, SECRET_KEY_BYTES) || !isBytes(eSk, SECRET_KEY_BYTES)) {
    throw new SalusError('INVALID_FIELD', 'secret keys are 32 bytes');
  }
  return {
    signing: { secretKey: sSk, publicKey: ed25519.getPublicKey(sSk) },
    encryption: { secretKey: eSk, publicKey: x25519.getPublicKey(eSk) },
  };
}
