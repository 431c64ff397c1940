import type { Commit, Validator } from '@salus/core';
import type { TendermintInput } from '../tendermint/io.js';
import type { Proposal } from '../tendermint/types.js';
import type { SimDisk } from './disk.js';
import type { Packet } from './network.js';
import type { NodeChain } from './nodechain.js';
import { checkSyncedBlock } from './sync.js';
import type { SimWorld } from './world.js';

/**
 * The classic mode's chain: blocks are SimApp's random headers, stored on the node's simulated
 * disk; validator sets are the scenario's. Every call is the one SimNode made before host mode
 * existed, in the same order, so classic runs (and their PRNG draws) are unchanged.
 */
export class DiskChain implements NodeChain {
  constructor(
    private readonly w: SimWorld,
    private readonly disk: SimDisk,
  ) {}

  lastHeight(): number {
    return this.disk.lastHeight;
  }

  validatorsAt(height: number): readonly Validator[] {
    return this.w.validatorsAt(height);
  }

  makeBlock(height: number, proposer: Uint8Array): { block: Uint8Array; blockHash: Uint8Array } {
    return this.w.app.makeBlock(this.w.prng, height, this.w.sched.now, this.disk.lastHash, proposer);
  }

  isValid(proposal: Proposal, block: Uint8Array): boolean {
    return this.w.app.isValid(proposal, block, this.disk.lastHash);
  }

  store(node: number, height: number, block: Uint8Array, blockHash: Uint8Array, commit: Commit, report: boolean): void {
    this.disk.storeBlock({ height, block, blockHash, commit });
    if (report) this.w.checker.onCommit(node, height, block, blockHash, commit, this.w.validatorsAt(height));
  }

  stored(height: number): { block: Uint8Array; commit: Commit } | undefined {
    return this.disk.block(height);
  }

  checkSynced(p: Extract<Packet, { kind: 'syncResponse' }>): { commit: Commit } | { refused: string } {
    return checkSyncedBlock(this.w, { height: this.disk.lastHeight, hash: this.disk.lastHash }, p);
  }

  replayable(inputs: readonly TendermintInput[]): readonly TendermintInput[] {
    return inputs;
  }

  restarted(): void {}
}
