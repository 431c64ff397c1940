import { concatBytes, utf8ToBytes } from './bytes.js';
import { encode, type Canonical } from './encoding.js';
import type { Ed25519 } from './ed25519.js';
import { SalusError } from './errors.js';

/**
 * What a signature may be over: one domain per kind of signed object, so no signature is reusable as
 * another. `anchor-item` is an item a submitter has anchored in a batch (layer 2); `anchor-receipt`
 * the anchoring node's promise to put items in a batch by a deadline.
 */
export type SignDomain = 'tx' | 'vote' | 'proposal' | 'disclosure' | 'challenge' | 'request' | 'endorsement' | 'anchor-item' | 'anchor-receipt';

export const MAX_CHAIN_ID_LENGTH = 64;

export function checkChainId(chainId: unknown): asserts chainId is string {
  if (typeof chainId !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(chainId) || chainId.length > MAX_CHAIN_ID_LENGTH) {
    throw new SalusError('INVALID_FIELD', 'chain id must be 1-64 characters of a-z, 0-9, ".", "_" or "-"');
  }
}

/** "SALUS\0<domain>\0<chain id>\0" followed by the canonical bytes: binds the domain and the chain. */
export function signBytes(domain: SignDomain, chainId: string, body: Canonical): Uint8Array {
  checkChainId(chainId);
  return concatBytes(utf8ToBytes(`SALUS\0${domain}\0${chainId}\0`), encode(body));
}

export function signObject(ed: Ed25519, secretKey: Uint8Array, domain: SignDomain, chainId: string, body: Canonical): Uint8Array {
  return ed.sign(secretKey, signBytes(domain, chainId, body));
}

export function verifyObject(
  ed: Ed25519,
  publicKey: Uint8Array,
  signature: Uint8Array,
  domain: SignDomain,
  chainId: string,
  body: Canonical,
): boolean {
  return ed.verify(publicKey, signBytes(domain, chainId, body), signature);
}
