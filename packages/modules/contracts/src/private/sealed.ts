import { SalusError, decode, v } from '@salus/core';
import { PARTIES_MAX } from './payloads.js';

/** What a client sends a party's node to endorse a private call (CBOR): the height to run at, the encrypted input, one envelope per party. */
export interface SealedInputBody {
  /** the committed height the call runs at (its block time, the caller's roles): the client picks it, so every party runs the same context */
  readonly height: number;
  readonly content: Uint8Array;
  readonly envelopes: readonly { readonly org: string; readonly blob: Uint8Array }[];
}

/** the largest encrypted input a node endorses */
export const SEALED_INPUT_BYTES_MAX = 256 * 1024;
const ORG = /^[a-z][a-z0-9-]{0,62}$/;

export function parseSealedInput(body: Uint8Array): SealedInputBody {
  if (body.length > SEALED_INPUT_BYTES_MAX) throw new SalusError('OVERSIZE', `an encrypted private input is at most ${SEALED_INPUT_BYTES_MAX} bytes`);
  const r = v.record(decode(body), 'body');
  v.onlyKeys(r, ['height', 'content', 'envelopes'], 'body');
  const envelopes = v.list(r.envelopes, 'envelopes', PARTIES_MAX).map((e, i) => {
    const o = v.record(e, `envelopes[${i}]`);
    v.onlyKeys(o, ['org', 'blob'], `envelopes[${i}]`);
    return { org: v.str(o.org, `envelopes[${i}].org`, 63, ORG), blob: v.bytes(o.blob, `envelopes[${i}].blob`) };
  });
  if (new Set(envelopes.map((e) => e.org)).size !== envelopes.length) throw new SalusError('INVALID_FIELD', 'one envelope per organisation', { field: 'envelopes' });
  return { height: v.uint(r.height, 'height'), content: v.bytes(r.content, 'content'), envelopes };
}
