/**
 * The messages of Tendermint ("The latest gossip on BFT consensus", Buchman, Kwon, Milosevic 2018).
 * Values are opaque to consensus: a proposal names a 32-byte block hash and carries the block's
 * bytes, which only the application (through the driver) understands.
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

/** What travels between validators. A proposal carries its block (real nodes may split it in parts). */
export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal; readonly block: Uint8Array }
  | { readonly kind: 'vote'; readonly vote: Vote };

/** Two votes of one validator for the same height, round and type, for different block hashes. */
export interface DuplicateVoteEvidence {
  readonly voteA: Vote;
  readonly voteB: Vote;
}

export const BLOCK_HASH_BYTES = 32;
