import type { Logger } from 'pino';
import { type IdentityKeys, SalusError, bytesEqual, decodeBlock, encodeBlock, headerHash } from '@salus/core';
import type { Clock, ConsensusMessage, TendermintEffect, TendermintInput, TendermintState } from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { BftOptions } from './options.js';

export interface ChainBridgeDeps {
  readonly chain: Chain;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keys: IdentityKeys;
  readonly state: () => Readonly<TendermintState>;
  readonly running: () => boolean;
  /** runs `fn` after `ms` on the driver's clock (a timer the driver cancels when it stops) */
  readonly later: (fn: () => void, ms: number) => void;
  /** the machine's next input, through the driver's queue */
  readonly input: (input: TendermintInput) => void;
  readonly startHeight: () => void;
  readonly metrics?: { onCommit?(height: number, round: number, txs: number): void };
}

/**
 * What the BFT driver asks of the application (the Chain), CometBFT's ABCI calls from consensus:
 * the verdict on a proposed block, a block to propose once the mempool is ready, and the commit of
 * a decided block before the next height starts.
 */
export class ChainBridge {
  private proposedSinceStart = false;

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: ChainBridgeDeps,
  ) {}

  private get bytesMax(): number {
    return this.opts.tendermint.blockBytesMax + 1024;
  }

  /**
   * The application's verdict on a proposed block: it decodes, hashes to the proposal's hash, and
   * extends our tip. It must not depend on the round or on who proposes it: a block locked in one
   * round is re-proposed by another validator later, with its original header. (Its bytes were
   * assembled from parts that each matched the proposal's signed part-set root.)
   */
  isValid(msg: Extract<ConsensusMessage, { kind: 'proposal' }>): boolean {
    try {
      const block = decodeBlock(msg.block, this.bytesMax);
      if (!bytesEqual(headerHash(block.header), msg.proposal.blockHash)) return false;
      this.deps.chain.validateProposal(block, { timeMax: this.deps.clock.now() + this.opts.clockDriftMsMax });
      return true;
    } catch (e) {
      this.deps.log.warn({ height: msg.proposal.height, round: msg.proposal.round, reason: (e as Error).message }, 'consensus: invalid proposed block');
      return false;
    }
  }

  /**
   * Proposes once the mempool has transactions, or an empty block after emptyBlockWaitMs. The first
   * proposal after a start does not wait: peers may presume this node down (it was away) and give
   * its turn only the short propose timeout; a proposal that arrives in time tells them it is back.
   */
  proposeWhenReady(height: number, round: number, since: number): void {
    const { chain, clock } = this.deps;
    const s = this.deps.state();
    if (!this.deps.running() || s.height !== height || s.round !== round || !s.awaitingValue) return;
    // block sync committed this height meanwhile: the driver is told and starts the next one (no block to propose here)
    if (chain.lastHeight() + 1 !== height) return;
    const now = clock.now();
    if (this.proposedSinceStart && !chain.hasPendingTxs() && now - since < this.opts.emptyBlockWaitMs) {
      this.deps.later(() => this.proposeWhenReady(height, round, since), 10);
      return;
    }
    this.proposedSinceStart = true;
    const block = chain.proposeBlock(height, Math.max(now, chain.lastBlockTime() + 1), this.deps.keys.signing.publicKey);
    this.deps.input({ kind: 'value', height, round, block: encodeBlock(block), blockHash: headerHash(block.header) });
  }

  /** Stores and executes a decided block (once), then starts the next height after commitDelayMs. */
  commit(e: Extract<TendermintEffect, { kind: 'decide' }>): void {
    const { chain } = this.deps;
    if (chain.lastHeight() < e.height) {
      const block = decodeBlock(e.block, this.bytesMax);
      if (block.header.height !== e.height) throw new SalusError('CORRUPT_DATA', `decided block claims height ${block.header.height}, decided at ${e.height}`);
      chain.commitBlock(block, e.commit);
      this.deps.metrics?.onCommit?.(e.height, e.round, block.txs.length);
    }
    this.deps.later(() => this.deps.startHeight(), this.opts.commitDelayMs);
  }
}
