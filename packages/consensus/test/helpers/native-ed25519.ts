import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { type Ed25519, pureEd25519 } from '@salus/core';

/** Ed25519 through OpenSSL for fast tests (same results as core's pure implementation). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function createNativeEd25519(): Ed25519 {
  const pubs = new Map<string, KeyObject>();
  const privs = new Map<string, KeyObject>();
  const id = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  return {
    sign: (sk, msg) => {
      let k = privs.get(id(sk));
      if (!k) privs.set(id(sk), (k = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, sk]), format: 'der', type: 'pkcs8' })));
      return new Uint8Array(sign(null, msg, k));
    },
    verify: (pk, msg, sig) => {
      if (!(pk instanceof Uint8Array) || pk.length !== 32 || !(sig instanceof Uint8Array) || sig.length !== 64) return false;
      try {
        let k = pubs.get(id(pk));
        if (!k) pubs.set(id(pk), (k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' })));
        return verify(null, msg, k, sig);
      } catch {
        return false;
      }
    },
    publicKey: (sk) => pureEd25519.publicKey(sk),
  };
}

export const nativeEd25519 = createNativeEd25519();
