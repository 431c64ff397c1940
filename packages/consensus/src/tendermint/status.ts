import { proposerIndex } from './proposer.js';
import { type TendermintState, peekRound } from './state.js';
import type { Step } from './types.js';

/** A read-only summary for /status and metrics. */
export interface TendermintStatus {
  readonly height: number;
  readonly round: number;
  readonly step: Step;
  readonly lockedRound: number;
  readonly lockedHash: Uint8Array | null;
  readonly validRound: number;
  readonly validHash: Uint8Array | null;
  /** proposer of the current round (null before the first height) */
  readonly proposer: Uint8Array | null;
  readonly isProposer: boolean;
  readonly isValidator: boolean;
  readonly validators: number;
  readonly totalPower: number;
  /** votes received in the current round */
  readonly prevotes: { readonly count: number; readonly power: number };
  readonly precommits: { readonly count: number; readonly power: number };
  readonly proposals: number;
  readonly roundsStored: number;
  readonly decidedRound: number;
}

export function statusOf(s: TendermintState): TendermintStatus {
  const rs = peekRound(s, s.round);
  const pi = s.step === 'idle' ? -1 : proposerIndex(s.validators, s.height, s.round);
  const proposer = pi < 0 ? null : s.validators.validators[pi]!.pubKey;
  return {
    height: s.height,
    round: s.round,
    step: s.step,
    lockedRound: s.lockedRound,
    lockedHash: s.lockedHash,
    validRound: s.validRound,
    validHash: s.validHash,
    proposer,
    isProposer: pi >= 0 && pi === s.selfIndex,
    isValidator: s.selfIndex >= 0,
    validators: s.validators.validators.length,
    totalPower: s.validators.totalPower,
    prevotes: { count: rs?.prevotes.count ?? 0, power: rs?.prevotes.power ?? 0 },
    precommits: { count: rs?.precommits.count ?? 0, power: rs?.precommits.power ?? 0 },
    proposals: rs?.proposals.length ?? 0,
    roundsStored: Object.keys(s.rounds).length,
    decidedRound: s.decision?.round ?? -1,
  };
}
