import type { Block, Commit, Validator } from '@salus/core';

/** Time is an input: the engine reads it only through this interface (a virtual clock in the simulator). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A validator's private key stays behind this interface (CometBFT's privval). */
export interface VoteSigner {
  readonly publicKey: Uint8Array;
  signPrecommit(height: number, round: number, blockHash: Uint8Array): Uint8Array;
}

/**
 * What consensus needs from the node, and nothing more: it knows blocks, commits and validators,
 * never what the transactions mean (the ABCI boundary).
 */
export interface ConsensusHost {
  /** height of the last committed block (0 before the first) */
  lastHeight(): number;
  lastBlockTime(): number;
  /** validators that sign block `height` */
  validatorsFor(height: number): readonly Validator[];
  /** whether there are transactions waiting */
  hasPendingTxs(): boolean;
  /** builds a proposal for `height` with the given time and proposer */
  proposeBlock(height: number, time: number, proposer: Uint8Array): Block;
  /** executes and persists a block with its commit; throws if the block is invalid */
  commitBlock(block: Block, commit: Commit): void;
}

export interface ConsensusEngine {
  start(): void;
  stop(): Promise<void>;
}

export interface ConsensusMetrics {
  onCommit?(height: number, round: number, txs: number, ms: number): void;
}
