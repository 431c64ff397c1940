import { SalusError, decode, encode, sha256, toHex, utf8ToBytes, v, type Canonical, type KeyWrap } from '@salus/core';
import { sealBlobs } from './records/crypto.js';

/**
 * The input of a private contract call, as only its parties' nodes read it: the method, its
 * arguments, the gas it may use, and a random salt, so that the input's hash on the ledger reveals
 * nothing of a guessable input. Encrypted once (AES-256-GCM) with the data key wrapped by HPKE for
 * each party organisation's encryption key, as records are.
 */
export interface PrivateInput {
  readonly method: string;
  readonly args: Canonical;
  readonly gas: number;
  readonly salt: Uint8Array;
}

export const PRIVATE_GAS_DEFAULT = 5_000_000;
const METHOD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** binds the ciphertext to this chain and contract: an input sealed for one contract does not open as another's */
export function privateInputAad(chainId: string, contract: string): Uint8Array {
  return utf8ToBytes(`salus/contracts/private-input\0${chainId}\0${contract}`);
}

export function encodePrivateInput(i: PrivateInput): Uint8Array {
  return encode({ method: i.method, args: i.args, gas: i.gas, salt: i.salt });
}

export function decodePrivateInput(bytes: Uint8Array): PrivateInput {
  const r = v.record(decode(bytes), 'input');
  v.onlyKeys(r, ['method', 'args', 'gas', 'salt'], 'input');
  const salt = v.bytes(r.salt, 'input.salt', 16);
  const gas = v.uint(r.gas, 'input.gas', 50_000_000);
  if (gas === 0) throw new SalusError('INVALID_FIELD', 'input.gas must be positive', { field: 'input.gas' });
  return { method: v.str(r.method, 'input.method', 64, METHOD), args: (r.args ?? null) as Canonical, gas, salt };
}

/** SHA-256 (hex) of the plaintext input: what the parties sign and the ledger keeps. */
export function privateInputHash(plaintext: Uint8Array): string {
  return toHex(sha256(plaintext));
}

export interface SealedPrivateInput {
  readonly inputHash: string;
  readonly content: Uint8Array;
  readonly envelopes: readonly { readonly org: string; readonly blob: Uint8Array }[];
}

/** Encrypts an input to the parties (organisation id → X25519 public key). */
export async function sealPrivateInput(input: PrivateInput, parties: readonly { org: string; encryptionKey: Uint8Array }[], aad: Uint8Array, kw?: KeyWrap): Promise<SealedPrivateInput> {
  const plaintext = encodePrivateInput(input);
  const sealed = await sealBlobs(plaintext, parties.map((p) => p.encryptionKey), aad, kw);
  const envelopes = parties.map((p, i) => ({ org: p.org, blob: sealed.envelopes[i]!.bytes }));
  return { inputHash: privateInputHash(plaintext), content: sealed.content, envelopes };
}
