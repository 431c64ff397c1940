import { type Block, type Commit, headerHash, SalusError, toHex } from '@salus/core';
import type { Clock, ConsensusEngine, ConsensusHost, ConsensusMetrics, VoteSigner } from './engine.js';

export interface SoloOptions {
  /** shortest time between blocks when transactions are waiting */
  readonly blockIntervalMs: number;
  /** an empty block is made this often, so time advances and the latest state becomes provable */
  readonly emptyBlockIntervalMs: number;
}

export const defaultSoloOptions: SoloOptions = { blockIntervalMs: 50, emptyBlockIntervalMs: 1000 };

/**
 * The single-validator block producer: the whole validator set is one key, so a block is committed
 * by that key's precommit alone. It sits behind the same ConsensusEngine/ConsensusHost interfaces as
 * the BFT engine and produces the same commits (precommit signatures over the block hash).
 */
export class SoloEngine implements ConsensusEngine {
  private timer: unknown;
  private running = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: SoloOptions,
    private readonly deps: { host: ConsensusHost; signer: VoteSigner; clock: Clock; metrics?: ConsensusMetrics; onError: (e: unknown) => void },
  ) {}

  start(): void {
    const { host, signer } = this.deps;
    const vals = host.validatorsFor(host.lastHeight() + 1);
    if (vals.length !== 1 || toHex(vals[0]!.pubKey) !== toHex(signer.publicKey)) {
      throw new SalusError('CONFIG', 'the solo producer runs only where its key is the whole validator set');
    }
    this.running = true;
    this.schedule(this.opts.blockIntervalMs);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.busy = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const { host, clock } = this.deps;
    const now = clock.now();
    const since = now - host.lastBlockTime();
    if (host.hasPendingTxs() ? since >= this.opts.blockIntervalMs : since >= this.opts.emptyBlockIntervalMs) {
      try {
        this.produce(now);
      } catch (e) {
        this.running = false;
        this.deps.onError(e);
        return;
      }
    }
    this.schedule(host.hasPendingTxs() ? 1 : this.opts.blockIntervalMs);
  }

  /** Makes, signs and commits one block. */
  produce(now: number): Block {
    const { host, signer, metrics } = this.deps;
    const started = now;
    const height = host.lastHeight() + 1;
    const time = Math.max(now, host.lastBlockTime() + 1);
    const block = host.proposeBlock(height, time, signer.publicKey);
    const blockHash = headerHash(block.header);
    const commit: Commit = { height, round: 0, blockHash, signatures: [{ validator: signer.publicKey, signature: signer.signPrecommit(height, 0, blockHash) }] };
    host.commitBlock(block, commit);
    metrics?.onCommit?.(height, 0, block.txs.length, this.deps.clock.now() - started);
    return block;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    await this.busy;
  }
}
