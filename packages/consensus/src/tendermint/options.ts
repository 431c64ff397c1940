import { LIMITS } from '@salus/core';
import type { TimeoutStep } from './types.js';

/**
 * Tendermint's tunables. Timeouts grow linearly with the round (base + delta × round), as in the
 * paper's partial-synchrony argument: after GST some round's timeouts exceed the message delay.
 * With `timeoutProposeAdaptive`, the propose timeout's base adapts to the proposal delays a node
 * observes, and is short for a proposer presumed down (`pacer.ts`, SPEC.md §4); the delta still
 * grows it round after round.
 */
export interface TendermintOptions {
  /** the propose timeout of round 0 (with adaptive timeouts: its ceiling) */
  readonly timeoutProposeMs: number;
  readonly timeoutProposeDeltaMs: number;
  /** adapt the propose timeout to observed proposal delays, and shorten it for proposers presumed down */
  readonly timeoutProposeAdaptive: boolean;
  /** the adaptive estimate never goes below this (a node keeps it above what a proposer may wait for transactions) */
  readonly timeoutProposeFloorMs: number;
  /** the propose timeout (round 0) for a proposer presumed down: it missed its last turn(s) and has not proposed since */
  readonly timeoutProposeDownMs: number;
  /** proposal delays remembered (the most recent) */
  readonly timeoutProposeSamples: number;
  /** the estimate is this percentile of the remembered delays … */
  readonly timeoutProposePercentile: number;
  /** … times this margin, in percent */
  readonly timeoutProposeMarginPct: number;
  /** consecutive missed turns after which a proposer is presumed down */
  readonly proposerMissesDown: number;
  readonly timeoutPrevoteMs: number;
  readonly timeoutPrevoteDeltaMs: number;
  readonly timeoutPrecommitMs: number;
  readonly timeoutPrecommitDeltaMs: number;
  /** largest block a proposal may carry */
  readonly blockBytesMax: number;
  /** size of every block part but the last: a constant of the network, the same on every node */
  readonly blockPartBytes: number;
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
  timeoutProposeAdaptive: true,
  timeoutProposeFloorMs: 1500,
  timeoutProposeDownMs: 500,
  timeoutProposeSamples: 64,
  timeoutProposePercentile: 95,
  timeoutProposeMarginPct: 150,
  proposerMissesDown: 1,
  timeoutPrevoteMs: 1000,
  timeoutPrevoteDeltaMs: 500,
  timeoutPrecommitMs: 1000,
  timeoutPrecommitDeltaMs: 500,
  blockBytesMax: LIMITS.blockBytesMax,
  blockPartBytes: 64 * 1024,
  roundMax: 1_000_000,
  validatorsMax: 1_000,
  proposalsPerRoundMax: 4,
  catchupRoundsMax: 2,
  conflictingVotesMax: 2,
};

/** The configured timeouts, without adaptation. */
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
