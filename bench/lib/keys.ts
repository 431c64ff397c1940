// Ed25519 keys of the benchmarks' signers, through OpenSSL (node:crypto).
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { fail } from './cli.js';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SignerKey {
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;
}
export interface SecretKeyPair extends SignerKey {
  readonly secretKey: Uint8Array;
}

const rawPublicKey = (keyObject: KeyObject): Uint8Array => {
  const x = createPublicKey(keyObject).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') fail('an Ed25519 public key without "x"');
  return new Uint8Array(Buffer.from(x, 'base64url'));
};

/**
 * A fresh Ed25519 key through OpenSSL: its raw public key and its private KeyObject. Imported from a
 * random seed as JWK (OpenSSL 3 decodes DER keys slowly; JWK import takes the raw seed; its "x" is
 * only type-checked, the public key is derived from the seed). Not generateKeyPairSync: on Node 20
 * it deadlocked in a worker thread (~KeyGenJob taking a mutex inside a GC weak callback).
 */
const DUMMY_X = 'A'.repeat(43);
export function freshKey(): SignerKey {
  const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: randomBytes(32).toString('base64url'), x: DUMMY_X }, format: 'jwk' });
  return { publicKey: rawPublicKey(keyObject), keyObject };
}

export function keyFromSecret(secretKey: Uint8Array): SecretKeyPair {
  const keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
  return { publicKey: rawPublicKey(keyObject), secretKey, keyObject };
}

/** The DER (SPKI) encoding of a raw Ed25519 public key. */
export const spkiOf = (pk: Uint8Array): Buffer => Buffer.concat([SPKI_PREFIX, pk]);

/** Deterministic org admin keys, so the parent and a child process derive the same genesis. */
export function adminKeys(count: number, seedByte = 7): SecretKeyPair[] {
  return Array.from({ length: count }, (_, i) => {
    const sk = new Uint8Array(32).fill(seedByte);
    sk[0] = i & 0xff;
    sk[1] = (i >> 8) & 0xff;
    return keyFromSecret(sk);
  });
}
