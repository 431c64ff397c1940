import { type Block, type Commit, type Validator, SalusError, bytesEqual, decodeBlock, decodeCommit, encodeBlock, headerHash, verifyCommit } from '@salus/core';
import type { TendermintInput } from '../tendermint/io.js';
import type { Proposal } from '../tendermint/types.js';
import type { SimHostOptions, SimLedger } from './ledger.js';
import type { Packet } from './network.js';
import type { NodeChain } from './nodechain.js';
import type { SimWorld } from './world.js';

/** The node's default (`consensus.clockDriftMsMax`): how far ahead of our clock a proposed block may be. */
const CLOCK_DRIFT_MS_MAX = 1000;

/**
 * Host mode's chain: a real ledger behind `SimLedger`, driven the way the node's BftDriver drives
 * its Chain (packages/node/src/consensus/driver.ts). Blocks cross the simulated network as core's
 * canonical block encoding; a proposal is valid if it decodes, hashes to the proposal's hash and
 * the ledger accepts it on top of its tip; block time is the virtual clock, never the host's.
 */
export class HostChain implements NodeChain {
  constructor(
    private readonly w: SimWorld,
    private readonly host: SimHostOptions,
    private readonly ledger: SimLedger,
    private readonly log: (what: string) => void,
  ) {}

  private get bytesMax(): number {
    return this.w.options.tendermint.blockBytesMax + 1024;
  }

  /** The ledger time of the virtual clock. */
  private now(): number {
    return this.host.epochMs + this.w.sched.now;
  }

  lastHeight(): number {
    return this.ledger.lastHeight();
  }

  validatorsAt(height: number): readonly Validator[] {
    return this.ledger.validatorsFor(height);
  }

  /** As the driver's proposeWhenReady: the clock, but always after the last block. An equivocator's second block is a millisecond later. */
  makeBlock(height: number, proposer: Uint8Array, alt = false): { block: Uint8Array; blockHash: Uint8Array } | null {
    if (height !== this.ledger.lastHeight() + 1) return null;
    const time = Math.max(this.now(), this.ledger.lastBlockTime() + 1) + (alt ? 1 : 0);
    const block = this.ledger.proposeBlock(height, time, proposer);
    return { block: encodeBlock(block), blockHash: headerHash(block.header) };
  }

  isValid(proposal: Proposal, bytes: Uint8Array): boolean {
    try {
      const block = decodeBlock(bytes, this.bytesMax);
      if (!bytesEqual(headerHash(block.header), proposal.blockHash)) throw new SalusError('CORRUPT_DATA', 'block does not hash to the proposal');
      if (block.header.height !== proposal.height) throw new SalusError('CORRUPT_DATA', `block of height ${block.header.height}`);
      this.ledger.validateProposal(block, { timeMax: this.now() + (this.host.clockDriftMsMax ?? CLOCK_DRIFT_MS_MAX) });
      return true;
    } catch (e) {
      this.log(`proposal ${proposal.height}/${proposal.round} invalid: ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * Commits through the ledger (which verifies the commit and executes the block). A decided block
   * the ledger refuses throws: the honest nodes decided something their application cannot run,
   * which the run reports as a crash with its seed.
   */
  store(node: number, height: number, bytes: Uint8Array, blockHash: Uint8Array, commit: Commit, report: boolean): void {
    const block: Block = decodeBlock(bytes, this.bytesMax);
    if (block.header.height !== height) throw new SalusError('CORRUPT_DATA', `block of height ${block.header.height} stored at ${height}`);
    if (this.ledger.lastHeight() >= height) return;
    this.ledger.commitBlock(block, commit);
    if (!report) return;
    this.w.checker.onCommit(node, height, bytes, blockHash, commit, this.ledger.validatorsFor(height));
    this.w.checker.onState(node, height, block.header, this.ledger.appHash(), this.ledger.resultsRoot(height));
  }

  stored(height: number): { block: Uint8Array; commit: Commit } | undefined {
    const b = this.ledger.blockAt(height);
    return b && { block: encodeBlock(b.block), commit: b.commit };
  }

  /** The next height only, a commit that verifies against our validator set, and a block our ledger would take. */
  checkSynced(p: Extract<Packet, { kind: 'syncResponse' }>): { commit: Commit } | { refused: string } {
    const last = this.ledger.lastHeight();
    if (p.height !== last + 1) return { refused: `height ${p.height}, expected ${last + 1}` };
    try {
      const block = decodeBlock(p.block, this.bytesMax);
      const commit = decodeCommit(p.commit);
      if (block.header.height !== p.height) return { refused: `header says height ${block.header.height}` };
      verifyCommit(this.w.ed, block.header, commit, this.ledger.validatorsFor(p.height));
      this.ledger.validateProposal(block);
      return { commit };
    } catch (e) {
      return { refused: (e as Error).message };
    }
  }

  /**
   * As the node's driver on restart: the WAL is replayed only if it is the WAL of the height after
   * the ledger's tip. A WAL that starts at a committed height (a crash between the ledger's commit
   * and the next height's first entry) is dropped, and the node starts the next height afresh; its
   * signer state still guards against signing anything that conflicts.
   */
  replayable(inputs: readonly TendermintInput[]): readonly TendermintInput[] {
    const first = inputs[0];
    const next = this.ledger.lastHeight() + 1;
    if (first === undefined || (first.kind === 'newHeight' && first.height === next)) return inputs;
    this.log(`restart: WAL of height ${first.kind === 'newHeight' ? first.height : '?'} is behind the ledger (next ${next}); not replayed`);
    return [];
  }

  restarted(): void {
    this.ledger.restart?.();
  }
}
