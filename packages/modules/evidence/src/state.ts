/** State keys of the evidence module. */
export const faultyKey = (validatorHex: string) => `evidence/faulty/${validatorHex}`;
/** One record per validator, height, round and step ('prevote', 'precommit' or 'proposal'). */
export const evidenceKey = (validatorHex: string, height: number, round: number, type: string) => `evidence/seen/${validatorHex}/${height}/${round}/${type}`;

/** Evidence older than this many blocks is refused (the validator set it was signed under may be gone). */
export const EVIDENCE_AGE_BLOCKS_MAX = 10_000;

export interface FaultyRecord {
  readonly validator: string;
  readonly power: number;
  readonly offences: number;
  readonly firstHeight: number;
  readonly lastHeight: number;
  readonly lastReportedAt: number;
}
