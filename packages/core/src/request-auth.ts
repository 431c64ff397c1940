import { SalusError } from './errors.js';
import { fromHex, toHex } from './bytes.js';
import { signBytes } from './signing.js';
import type { Ed25519 } from './ed25519.js';

/**
 * Signed HTTP requests: a party proves which key asks (and for which purpose) on every read of
 * confidential data, and the node keeps the signature as the reader's part of the disclosure record.
 * The claims are signed under the 'request' domain bound to the chain id and addressed to one node
 * (`aud`, its node id), so a captured request cannot be replayed at another node; `at` and a random
 * nonce limit replay at that node (it keeps the nonces it saw within the allowed skew).
 *
 * Header: `Authorization: Salus key=<hex>,aud=<node id hex>,at=<ms>,nonce=<hex>,purpose=<word>,sig=<hex>`
 */
export interface RequestClaims {
  readonly method: string;
  /** path with query string, as sent */
  readonly path: string;
  readonly at: number;
  readonly nonce: string;
  readonly purpose: string;
  /** SHA-256 of the body, hex; empty for a request without one */
  readonly bodyHash: string;
  /** the node the request is for (its node id, hex) */
  readonly aud: string;
}

export interface SignedRequest {
  readonly key: string;
  readonly aud: string;
  readonly at: number;
  readonly nonce: string;
  readonly purpose: string;
  readonly sig: string;
}

/** A purpose is a word the reading module defines (core knows none of their meanings). */
export const PURPOSE_WORD = /^[a-z][a-z0-9-]{0,31}$/;

export function requestSignBytes(chainId: string, c: RequestClaims): Uint8Array {
  return signBytes('request', chainId, { method: c.method.toUpperCase(), path: c.path, at: c.at, nonce: c.nonce, purpose: c.purpose, bodyHash: c.bodyHash, aud: c.aud });
}

export function signRequest(ed: Ed25519, secretKey: Uint8Array, publicKey: Uint8Array, chainId: string, c: RequestClaims): string {
  const sig = ed.sign(secretKey, requestSignBytes(chainId, c));
  return `Salus key=${toHex(publicKey)},aud=${c.aud},at=${c.at},nonce=${c.nonce},purpose=${c.purpose},sig=${toHex(sig)}`;
}

export function parseAuthorization(header: string | undefined): SignedRequest {
  if (!header) throw new SalusError('BAD_SIGNATURE', 'this endpoint needs a signed request: Authorization: Salus key=…,at=…,nonce=…,purpose=…,sig=…');
  const m = /^Salus (.+)$/.exec(header.trim());
  if (!m) throw new SalusError('BAD_SIGNATURE', 'the Authorization header is not of the Salus scheme');
  const f = new Map<string, string>();
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new SalusError('BAD_SIGNATURE', 'malformed Authorization field');
    f.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const key = f.get('key') ?? '';
  const aud = f.get('aud') ?? '';
  const sig = f.get('sig') ?? '';
  const nonce = f.get('nonce') ?? '';
  const purpose = f.get('purpose') ?? '';
  const at = Number(f.get('at'));
  if (!/^[0-9a-f]{64}$/.test(key) || !/^[0-9a-f]{64}$/.test(aud) || !/^[0-9a-f]{128}$/.test(sig) || !/^(?:[0-9a-f]{2}){8,32}$/.test(nonce) || !Number.isSafeInteger(at)) {
    throw new SalusError('BAD_SIGNATURE', 'the Authorization header needs key and aud (64 hex), at (ms), nonce (8-32 bytes as hex) and sig (128 hex)');
  }
  if (!PURPOSE_WORD.test(purpose)) throw new SalusError('INVALID_FIELD', 'purpose must be a lower-case word', { purpose });
  return { key, aud, at, nonce, purpose, sig };
}

export function verifyRequest(ed: Ed25519, chainId: string, r: SignedRequest, c: Omit<RequestClaims, 'at' | 'nonce' | 'purpose'>): void {
  if (r.aud !== c.aud) throw new SalusError('BAD_SIGNATURE', 'the request is addressed to another node', { aud: r.aud });
  const ok = ed.verify(fromHex(r.key, 32), requestSignBytes(chainId, { ...c, at: r.at, nonce: r.nonce, purpose: r.purpose }), fromHex(r.sig, 64));
  if (!ok) throw new SalusError('BAD_SIGNATURE', 'the request signature does not verify for the stated key');
}
