// What the FHIR benchmark's steps share: node 0's URL, the patients, what was loaded so far, the
// bearer token, and the autocannon runs in flight (stopped on a signal).
import type autocannon from 'autocannon';
import type { FastLocalnet } from '../lib/localnet.js';
import type { FhirFlags } from './flags.js';

/** A resource loaded, by index: its record, type, patient, code and the path it came by. */
export interface Loaded {
  i: number;
  record: string;
  type: 'Condition' | 'Observation';
  p: number;
  code: string | null;
  via: 'fhir' | 'sdk';
}

export interface FhirCtx {
  readonly flags: FhirFlags;
  readonly net: FastLocalnet;
  readonly url0: string;
  readonly pids: readonly string[];
  readonly loaded: Loaded[];
  /** the index of the next resource of the data set to load */
  next: number;
  /** a system/*.cruds token of the service member (a fresh one after 120 s) */
  token(): Promise<string>;
  readonly running: Set<autocannon.Instance>;
}
