import { type BlockHeader, type Commit, type Validator, encodeCommit, encodeHeader, headerHash, headerCanonical, toHex } from '@salus/core';

/** JSON views of canonical values: bytes become lower-case hex. Raw canonical bytes travel beside them for verification. */
export function jsonView(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(jsonView);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonView(x);
    return out;
  }
  return v;
}

export function headerView(h: BlockHeader) {
  return { hash: toHex(headerHash(h)), ...(jsonView(headerCanonical(h)) as object), raw: toHex(encodeHeader(h)) };
}

export function commitView(c: Commit) {
  return { ...(jsonView(c) as object), raw: toHex(encodeCommit(c)) };
}

export function validatorsView(vals: readonly Validator[]) {
  return vals.map((x) => ({ pubKey: toHex(x.pubKey), power: x.power }));
}
