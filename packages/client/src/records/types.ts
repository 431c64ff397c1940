import type { Purpose } from './purposes.js';
import type { TxResponse } from '../api.js';

/** The shapes RecordsClient takes and returns. */
export type GranteeInput = { org: string } | { key: string; encryptionKey: string };
export type ScopeInput = 'all' | { types: string[] } | { codes: { type: string; system: string; code: string }[] } | { categories: { type: string; system: string; code: string }[] } | { records: string[] };

export interface GrantInput {
  readonly id?: string;
  readonly grantee: GranteeInput;
  readonly scope: ScopeInput;
  readonly actions?: ('read' | 'write')[];
  readonly purposes?: Purpose[];
  /** when the grant lapses (Date or ms since epoch) */
  readonly until?: Date | number;
}

export interface ReadResult<T = Record<string, unknown>> {
  readonly resource: T;
  readonly record: string;
  readonly version: number;
  readonly latest: number;
  readonly patient: string;
  readonly basis: 'patient' | 'author' | 'grant' | 'emergency';
  readonly emergency: boolean;
  readonly height: number;
  /** the transaction that wrote this version (prove it with SalusClient.verifiedTx) */
  readonly tx: string;
}

export interface ReadResponse {
  record: string;
  version: number;
  latest: number;
  patient: string;
  basis: ReadResult['basis'];
  emergency: boolean;
  height: number;
  tx: string;
  content: { hash: string; bytes: string };
  envelopes: { to: string; hash: string; bytes: string }[];
}

/** A records/write payload, ready to submit. */
export interface PreparedWrite {
  readonly patient: string;
  readonly record: string;
  readonly version: number;
  readonly content: string;
  readonly size: number;
  readonly tags: string[];
  readonly envelopes: { to: string; blob: string }[];
  readonly emergency: boolean;
}

export interface DisclosureEntry {
  readonly height: number;
  readonly index: number;
  readonly seq: number;
  readonly kind: string;
  readonly tx: string;
  /** the transaction carrying it, its inclusion proof and commit checked against the validators */
  readonly proven?: TxResponse;
  /** for reads: who read what, when, why, and on what basis, as the serving node recorded it */
  readonly detail?: Record<string, unknown>;
}
