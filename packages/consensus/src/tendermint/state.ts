import type { ValidatorSet } from './validators.js';
import type { Proposal, Step } from './types.js';
import { type VoteSet, createVoteSet } from './voteset.js';

export interface ProposalRecord {
  readonly proposal: Proposal;
  readonly block: Uint8Array;
  /** the application's verdict, given by the driver with the input */
  readonly valid: boolean;
}

export interface RoundState {
  /** in arrival order; the proposer signs one, more is equivocation (bounded by proposalsPerRoundMax) */
  readonly proposals: ProposalRecord[];
  readonly prevotes: VoteSet;
  readonly precommits: VoteSet;
  /** validators that sent any message in this round (rule 55's f+1 and the catch-up bound) */
  readonly senders: boolean[];
  senderPower: number;
}

/** Upon-rules that fire only "for the first time" in the current round. */
export interface FiredFlags {
  /** line 34: timeout prevote scheduled */
  prevoteWait: boolean;
  /** line 47: timeout precommit scheduled */
  precommitWait: boolean;
  /** line 36: polka for the round's proposal seen */
  polka: boolean;
}

/**
 * The whole state of one validator's consensus: plain, serialisable data (numbers, strings,
 * byte arrays, arrays and records — no Map, class or closure), a pure function of the inputs
 * since the last newHeight and of the signer's answers.
 */
export interface TendermintState {
  height: number;
  round: number;
  step: Step;
  validators: ValidatorSet;
  /** this node's index in the validator set, -1 if it does not validate this height */
  selfIndex: number;
  lockedRound: number;
  lockedHash: Uint8Array | null;
  validRound: number;
  validHash: Uint8Array | null;
  validBlock: Uint8Array | null;
  /** keyed by round number */
  rounds: Record<string, RoundState>;
  fired: FiredFlags;
  /** a getValue effect is outstanding for the current round */
  awaitingValue: boolean;
  decision: { readonly round: number; readonly blockHash: Uint8Array } | null;
  /** evidence already reported at this height: `${index}/${round}/${type}` */
  reported: string[];
}

export function initialState(): TendermintState {
  return {
    height: 0,
    round: 0,
    step: 'idle',
    validators: { validators: [], totalPower: 0, index: {} },
    selfIndex: -1,
    lockedRound: -1,
    lockedHash: null,
    validRound: -1,
    validHash: null,
    validBlock: null,
    rounds: {},
    fired: { prevoteWait: false, precommitWait: false, polka: false },
    awaitingValue: false,
    decision: null,
    reported: [],
  };
}

export function roundState(s: TendermintState, round: number): RoundState {
  let rs = s.rounds[round];
  if (rs === undefined) {
    const n = s.validators.validators.length;
    rs = { proposals: [], prevotes: createVoteSet(n), precommits: createVoteSet(n), senders: new Array<boolean>(n).fill(false), senderPower: 0 };
    s.rounds[round] = rs;
  }
  return rs;
}

export function peekRound(s: TendermintState, round: number): RoundState | undefined {
  return s.rounds[round];
}

export function markSender(s: TendermintState, rs: RoundState, index: number): void {
  if (rs.senders[index]) return;
  rs.senders[index] = true;
  rs.senderPower += s.validators.validators[index]!.power;
}

/** Stored rounds in ascending order. */
export function storedRounds(s: TendermintState): number[] {
  return Object.keys(s.rounds)
    .map(Number)
    .sort((a, b) => a - b);
}
