import type { Block, Commit, Validator } from '@salus/core';

/**
 * A real application hosted by a simulated validator (host mode): what the simulator needs from a
 * ledger, and nothing about what its transactions mean. The node's Chain fits it through a thin
 * adapter. The ledger is the validator's durable disk: it survives crashes, and only `restart`
 * tells it that the process died (its volatile state, such as a mempool, is gone).
 */
export interface SimLedger {
  /** height of the last committed block (0 before the first) */
  lastHeight(): number;
  lastBlockTime(): number;
  /** the validators that sign block `height` */
  validatorsFor(height: number): readonly Validator[];
  /** a proposal for the next height, at the given time, by the given proposer */
  proposeBlock(height: number, time: number, proposer: Uint8Array): Block;
  /** throws unless the block may follow the committed chain (not who proposed it: locked blocks are re-proposed) */
  validateProposal(block: Block, o?: { timeMax?: number }): unknown;
  /** verifies the commit, executes the block and persists it atomically; throws if either is invalid */
  commitBlock(block: Block, commit: Commit): void;
  /** a committed block with its commit, for block sync */
  blockAt(height: number): { readonly block: Block; readonly commit: Commit } | undefined;
  /** the state root after the last committed block: the next header's appHash */
  appHash(): Uint8Array;
  /** the root of the results of committed block `height`: the next header's lastResultsHash */
  resultsRoot(height: number): Uint8Array;
  /** the process restarted: durable state stays, volatile state is lost (called before the WAL replay) */
  restart?(): void;
}

/** What a host-mode test can do while the run goes: act at a virtual time, see who is up. */
export interface SimHostControl {
  /** runs `fn` at virtual time `timeMs` (whole ms, not in the past) */
  at(timeMs: number, fn: () => void): void;
  now(): number;
  isUp(node: number): boolean;
  /** last committed height of a node */
  committed(node: number): number;
}

/** Host mode: each simulated validator runs its own real ledger instead of the random-header SimApp. */
export interface SimHostOptions {
  /** the ledgers' chain id: votes are signed for it, so their commits verify on the ledgers */
  readonly chainId: string;
  /** each node's validator signing key; node i runs `ledger(i)`, whose genesis names these keys */
  readonly secretKeys: readonly Uint8Array[];
  /** called once per node when the run starts */
  ledger(node: number): SimLedger;
  /** the ledger time (ms since the Unix epoch) of virtual time 0: block time is epochMs + virtual now */
  readonly epochMs: number;
  /** how far ahead of a validator's clock a proposed block's time may be (the node's clockDriftMsMax) */
  readonly clockDriftMsMax?: number;
  /** schedules the test's own events (transaction submission) before the run starts */
  setup?(sim: SimHostControl): void;
  /** the run ends only when this also holds (e.g. every submitted transaction is committed) */
  until?(): boolean;
}
