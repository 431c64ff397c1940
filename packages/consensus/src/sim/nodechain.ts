import type { Commit, Validator } from '@salus/core';
import type { TendermintInput } from '../tendermint/io.js';
import type { Proposal } from '../tendermint/types.js';
import type { Packet } from './network.js';

/**
 * What a simulated driver needs of its node's blocks: build, judge, store, serve and take from
 * peers. Two implementations: `DiskChain` (random headers of SimApp on simulated disk, the classic
 * mode) and `HostChain` (a real ledger behind `SimLedger`, host mode). Blocks are opaque bytes here,
 * as they are to consensus.
 */
export interface NodeChain {
  /** height of the last stored block */
  lastHeight(): number;
  validatorsAt(height: number): readonly Validator[];
  /**
   * A block this node proposes (`alt`: a second, different one, for an equivocating driver); null
   * if `height` is no longer the next one (synced meanwhile: the machine would drop the value as stale).
   */
  makeBlock(height: number, proposer: Uint8Array, alt?: boolean): { block: Uint8Array; blockHash: Uint8Array } | null;
  /** the application's verdict on a proposed block (the proposal input's `valid`) */
  isValid(proposal: Proposal, block: Uint8Array): boolean;
  /** stores a decided or synced block with its commit; `report` sends it to the checker (honest nodes) */
  store(node: number, height: number, block: Uint8Array, blockHash: Uint8Array, commit: Commit, report: boolean): void;
  /** a stored block with its commit, to answer a peer's sync request */
  stored(height: number): { block: Uint8Array; commit: Commit } | undefined;
  /** block sync: the commit of a peer's block if it may be stored next, else why not */
  checkSynced(p: Extract<Packet, { kind: 'syncResponse' }>): { commit: Commit } | { refused: string };
  /** on restart, the WAL entries to replay (host mode drops a WAL of an already-committed height, as the node's driver does) */
  replayable(inputs: readonly TendermintInput[]): readonly TendermintInput[];
  /** the node's process restarted (not called on the first start) */
  restarted(): void;
}
