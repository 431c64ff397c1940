import { SalusError, v, type Canonical } from '@salus/core';
import { parseEndorsement, parsePrivateResult, type Endorsement, type PrivateResult } from './result.js';

/**
 * The input's ciphertext as the parties' nodes keep it in their blob stores: the content (AES-256-GCM
 * under a fresh data key) and one HPKE envelope of that key per party organisation. The ledger
 * carries only these hashes, so a party's node that missed the call fetches the blobs from another
 * party's node and replays it.
 */
export interface InputBlobs {
  readonly content: string;
  readonly envelopes: readonly { readonly org: string; readonly blob: string }[];
}

/** A private call on the ledger: the endorsed result, where its encrypted input is, and the parties' signatures. */
export interface PrivateCall {
  readonly result: PrivateResult;
  readonly blobs: InputBlobs;
  readonly endorsements: readonly Endorsement[];
}

/** Two results one key signed for the same input on the same state and context that differ: evidence against it. */
export interface Report {
  readonly a: { readonly result: PrivateResult; readonly endorsement: Endorsement };
  readonly b: { readonly result: PrivateResult; readonly endorsement: Endorsement };
}

const HEX32 = /^[0-9a-f]{64}$/;
const ORG = /^[a-z][a-z0-9-]{0,62}$/;
/** the most parties a private contract names (and so the most envelopes and endorsements a call carries) */
export const PARTIES_MAX = 16;

export function parseInputBlobs(x: unknown, field = 'blobs'): InputBlobs {
  const r = v.record(x, field);
  v.onlyKeys(r, ['content', 'envelopes'], field);
  const envelopes = v.list(r.envelopes, `${field}.envelopes`, PARTIES_MAX).map((e, i) => {
    const o = v.record(e, `${field}.envelopes[${i}]`);
    v.onlyKeys(o, ['org', 'blob'], `${field}.envelopes[${i}]`);
    return { org: v.str(o.org, `${field}.envelopes[${i}].org`, 63, ORG), blob: v.str(o.blob, `${field}.envelopes[${i}].blob`, 64, HEX32) };
  });
  if (new Set(envelopes.map((e) => e.org)).size !== envelopes.length) throw new SalusError('INVALID_FIELD', `${field}.envelopes has one envelope per organisation`, { field: `${field}.envelopes` });
  return { content: v.str(r.content, `${field}.content`, 64, HEX32), envelopes };
}

export function parsePrivateCall(payload: Canonical): PrivateCall {
  const r = v.record(payload, 'payload');
  v.onlyKeys(r, ['result', 'blobs', 'endorsements'], 'payload');
  const endorsements = v.list(r.endorsements, 'endorsements', PARTIES_MAX).map((e, i) => parseEndorsement(e, `endorsements[${i}]`));
  if (endorsements.length === 0) throw new SalusError('INVALID_FIELD', 'a private call carries at least one endorsement', { field: 'endorsements' });
  return { result: parsePrivateResult(r.result), blobs: parseInputBlobs(r.blobs), endorsements };
}

export function parseReport(payload: Canonical): Report {
  const r = v.record(payload, 'payload');
  v.onlyKeys(r, ['a', 'b'], 'payload');
  const side = (x: unknown, f: string) => {
    const o = v.record(x, f);
    v.onlyKeys(o, ['result', 'endorsement'], f);
    return { result: parsePrivateResult(o.result, `${f}.result`), endorsement: parseEndorsement(o.endorsement, `${f}.endorsement`) };
  };
  return { a: side(r.a, 'a'), b: side(r.b, 'b') };
}
