import type { Commit, Validator } from '@salus/core';
import type { ConsensusEvidence, ConsensusMessage, Proposal, TimeoutStep, Vote } from './types.js';

/**
 * Everything that can happen to the state machine. The driver appends each input to the WAL
 * before handing it to `handle`, so that replaying the WAL rebuilds the same state.
 */
export type TendermintInput =
  /** start `height` with its validator set (first input; after each decide; after block sync) */
  | { readonly kind: 'newHeight'; readonly height: number; readonly validators: readonly Validator[] }
  /** a proposal from the network; `valid` is the application's verdict on the block (and that it hashes to blockHash) */
  | { readonly kind: 'proposal'; readonly proposal: Proposal; readonly block: Uint8Array; readonly valid: boolean }
  | { readonly kind: 'vote'; readonly vote: Vote }
  /** a timer set by a scheduleTimeout effect has fired */
  | { readonly kind: 'timeout'; readonly height: number; readonly round: number; readonly step: TimeoutStep }
  /** the answer to a getValue effect: the block this node proposes */
  | { readonly kind: 'value'; readonly height: number; readonly round: number; readonly block: Uint8Array; readonly blockHash: Uint8Array };

/** Why an input was dropped. Informational reasons (old-height, decided, stale) are normal traffic. */
export type RejectReason =
  | 'not-started'
  | 'old-height'
  | 'future-height'
  | 'decided'
  | 'unknown-validator'
  | 'wrong-proposer'
  | 'bad-signature'
  | 'round-too-far'
  | 'too-many-proposals'
  | 'oversize'
  | 'malformed'
  | 'stale';

export type TendermintEffect =
  | { readonly kind: 'broadcast'; readonly message: ConsensusMessage }
  | { readonly kind: 'scheduleTimeout'; readonly height: number; readonly round: number; readonly step: TimeoutStep; readonly ms: number }
  /** this node proposes in (height, round): answer with a `value` input */
  | { readonly kind: 'getValue'; readonly height: number; readonly round: number }
  /** the block is decided; commit holds precommits of more than 2/3 of the power for blockHash */
  | { readonly kind: 'decide'; readonly height: number; readonly round: number; readonly block: Uint8Array; readonly blockHash: Uint8Array; readonly commit: Commit }
  /** double signing seen: conflicting votes, or two proposals of one proposer for one round */
  | { readonly kind: 'evidence'; readonly evidence: ConsensusEvidence }
  | { readonly kind: 'rejected'; readonly reason: RejectReason; readonly detail: string; readonly height: number; readonly round: number }
  /** the Signer refused (double-sign guard): nothing was signed or sent */
  | { readonly kind: 'signRefused'; readonly height: number; readonly round: number; readonly what: 'proposal' | 'prevote' | 'precommit'; readonly reason: string };
