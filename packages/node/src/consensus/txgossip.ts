import type { Logger } from 'pino';
import { SalusError, decode, encode, v, LIMITS } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { P2P } from '../p2p/index.js';
import { CH, TX_GOSSIP_BYTES_MAX } from './channels.js';
import type { BftOptions } from './options.js';

/** Codes that mean the peer sent something no honest node would relay. */
const FORGED = new Set(['MALFORMED_ENCODING', 'BAD_SIGNATURE', 'WRONG_CHAIN', 'OVERSIZE']);
const BAD_TX_PENALTY = 20;

/**
 * Mempool gossip (CometBFT's mempool reactor): every transaction this node admits — from its API
 * or from a peer — is relayed to the other peers, in small batches. A peer's transaction enters
 * through the same checkTx as a client's; duplicates and stale nonces are dropped quietly, forged
 * ones cost the sender.
 */
export class TxGossip {
  private batch: { bytes: Uint8Array; origin: string | undefined }[] = [];
  private batchBytes = 0;
  private timer: unknown;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: { chain: Chain; p2p: P2P; clock: Clock; log: Logger; catchingUp?: () => boolean },
  ) {}

  start(): void {
    this.unsubscribe = this.deps.p2p.onMessage((peer, ch, bytes) => {
      if (ch === CH.tx) this.receive(peer, bytes);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Called for every admitted transaction (Chain's onTxAdmitted). */
  admitted(bytes: Uint8Array, origin: string | undefined): void {
    this.batch.push({ bytes, origin });
    this.batchBytes += bytes.length + 8;
    if (this.batch.length >= this.opts.txGossipBatchMax || this.batchBytes >= TX_GOSSIP_BYTES_MAX - LIMITS.txBytesMax - 1024) this.flush();
    else if (this.timer === undefined) this.timer = this.deps.clock.setTimeout(() => this.flush(), this.opts.txGossipDelayMs);
  }

  private flush(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (batch.length === 0) return;
    // Each peer gets the batch minus what it sent us.
    const origins = new Set(batch.map((b) => b.origin).filter((o): o is string => o !== undefined));
    const all = encode(batch.map((b) => b.bytes));
    if (origins.size === 0) {
      this.deps.p2p.broadcast(CH.tx, all);
      return;
    }
    this.deps.p2p.broadcast(CH.tx, all, origins);
    for (const o of origins) {
      const rest = batch.filter((b) => b.origin !== o).map((b) => b.bytes);
      if (rest.length > 0) this.deps.p2p.send(o, CH.tx, encode(rest));
    }
  }

  private receive(peer: string, bytes: Uint8Array): void {
    // A node catching up by block sync takes no gossip (CometBFT's mempool reactor waits for sync too):
    // checked against old state, these would fill the mempool only to come again in the synced blocks.
    if (this.deps.catchingUp?.()) return;
    let txs: Uint8Array[];
    try {
      txs = v.list(decode(bytes, TX_GOSSIP_BYTES_MAX), 'txs', this.opts.txGossipBatchMax).map((t, i) => v.bytes(t, `txs[${i}]`));
    } catch (e) {
      this.deps.p2p.report(peer, BAD_TX_PENALTY, `tx gossip: ${(e as Error).message}`);
      return;
    }
    for (const tx of txs) {
      try {
        this.deps.chain.offer(tx, peer);
      } catch (e) {
        if (e instanceof SalusError && FORGED.has(e.code)) {
          this.deps.p2p.report(peer, BAD_TX_PENALTY, `tx gossip: ${e.message}`);
          return;
        }
        // Already held, already committed, nonce since used, full mempool: normal under gossip.
      }
    }
  }
}
