import { LIMITS } from '@salus/core';
import type { TimeoutStep } from './types.js';

/**
 * Tendermint's tunables. Timeouts grow linearly with the round (base + delta × round), as in the
 * paper's partial-synchrony argument: after GST some round's timeouts exceed the message delay.
 */
export interface TendermintOptions {
  readonly timeoutProposeMs: number;
  readonly timeoutProposeDeltaMs: number;
  readonly timeoutPrevoteMs: number;
  readonly timeoutPrevoteDeltaMs: number;
  readonly timeoutPrecommitMs: number;
  readonly timeoutPrecommitDeltaMs: number;
  /** largest block payload carried by a proposal */
  readonly blockBytesMax: number;
  /** largest round number accepted in any message */
  readonly roundMax: number;
  /** validator set size limit */
  readonly validatorsMax: number;
  /** distinct proposals kept per round (an honest proposer sends one; more means equivocation) */
  readonly proposalsPerRoundMax: number;
  /**
   * Rounds beyond round+1 that one validator may open (CometBFT's "catch-up rounds"): a bound on
   * the memory a Byzantine validator can make us spend on far-future rounds.
   */
  readonly catchupRoundsMax: number;
  /**
   * Conflicting votes kept per validator, round and type besides its first (see voteset.ts): each
   * is evidence, and counts for its own value so that equivocation cannot hide a polka.
   */
  readonly conflictingVotesMax: number;
}

export const defaultTendermintOptions: TendermintOptions = {
  timeoutProposeMs: 3000,
  timeoutProposeDeltaMs: 500,
  timeoutPrevoteMs: 1000,
  timeoutPrevoteDeltaMs: 500,
  timeoutPrecommitMs: 1000,
  timeoutPrecommitDeltaMs: 500,
  blockBytesMax: LIMITS.blockBytesMax,
  roundMax: 1_000_000,
  validatorsMax: 1_000,
  proposalsPerRoundMax: 4,
  catchupRoundsMax: 2,
  conflictingVotesMax: 2,
};

export function timeoutMs(opts: TendermintOptions, step: TimeoutStep, round: number): number {
  switch (step) {
    case 'propose':
      return opts.timeoutProposeMs + opts.timeoutProposeDeltaMs * round;
    case 'prevote':
      return opts.timeoutPrevoteMs + opts.timeoutPrevoteDeltaMs * round;
    case 'precommit':
      return opts.timeoutPrecommitMs + opts.timeoutPrecommitDeltaMs * round;
  }
}
