import type { PartSetHeader, PartMessage, PartRequest } from './parts.js';

/**
 * The messages of Tendermint ("The latest gossip on BFT consensus", Buchman, Kwon, Milosevic 2018).
 * Values are opaque to consensus: a proposal names a 32-byte block hash and the header of the
 * block's part set; the block's bytes, which only the application (through the driver)
 * understands, travel in parts.
 */

export type VoteType = 'prevote' | 'precommit';

/** 'idle' before the first newHeight input; 'commit' after a decision, until the next newHeight. */
export type Step = 'idle' | 'propose' | 'prevote' | 'precommit' | 'commit';

/** The steps a timeout can belong to. */
export type TimeoutStep = 'propose' | 'prevote' | 'precommit';

export interface Proposal {
  readonly height: number;
  readonly round: number;
  /** the round of the polka (2f+1 prevotes) for this value, or -1 for none */
  readonly polRound: number;
  readonly blockHash: Uint8Array;
  /** how the block travels: its parts and their Merkle root (signed, so each part can be checked on arrival) */
  readonly parts: PartSetHeader;
  readonly proposer: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Vote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** null is a vote for nil */
  readonly blockHash: Uint8Array | null;
  readonly validator: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * What the machine sends and receives: a proposal with its whole block, or a vote. On the wire a
 * proposal travels as `WireMessage`s instead: the proposal alone, and its block in parts.
 */
export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal; readonly block: Uint8Array }
  | { readonly kind: 'vote'; readonly vote: Vote };

/** What travels between nodes (`codec.ts`): a proposal without its block, votes, block parts and requests for parts. */
export type WireMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal }
  | { readonly kind: 'vote'; readonly vote: Vote }
  | { readonly kind: 'blockPart'; readonly part: PartMessage }
  | { readonly kind: 'partRequest'; readonly request: PartRequest };

/** Two votes of one validator for the same height, round and type, for different block hashes. */
export interface DuplicateVoteEvidence {
  readonly voteA: Vote;
  readonly voteB: Vote;
}

/** Two different proposals signed by one validator for the same height and round (an honest signer signs one). */
export interface DuplicateProposalEvidence {
  readonly proposalA: Proposal;
  readonly proposalB: Proposal;
}

/** Double signing, as the machine reports it and the ledger records it. */
export type ConsensusEvidence = DuplicateVoteEvidence | DuplicateProposalEvidence;

export const BLOCK_HASH_BYTES = 32;
