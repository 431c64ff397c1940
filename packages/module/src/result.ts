import { type Canonical, type ErrorCode, encode, merkleRoot } from '@salus/core';

export interface TxEvent {
  readonly type: string;
  readonly attributes: Record<string, Canonical>;
}

/** The deterministic outcome of one transaction in a block; hashed into the next header. */
export interface TxResult {
  readonly code: 'OK' | ErrorCode;
  readonly log: string;
  readonly events: readonly TxEvent[];
  /** metered work, for modules that meter (contracts); absent otherwise, so other results encode as before */
  readonly gasUsed?: number;
}

export function encodeResult(r: TxResult): Uint8Array {
  const base = { code: r.code, log: r.log, events: r.events.map((e) => ({ type: e.type, attributes: e.attributes })) };
  return encode(r.gasUsed === undefined ? base : { ...base, gasUsed: r.gasUsed });
}

export function resultsRoot(encoded: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(encoded);
}
