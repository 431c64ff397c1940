import type { Logger } from 'pino';
import { type Block, SalusError, encodeBlock, encodeCommit } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { BlockStore } from '../ledger/blockstore.js';
import type { P2P } from '../p2p/index.js';
import { CH } from './channels.js';
import type { BftOptions } from './options.js';
import { SyncApplier } from './sync-apply.js';
import { SyncSchedule } from './sync-schedule.js';
import { TxSignatureChecker } from './sync-verify.js';
import { type SyncMessage, blocksMessage, decodeSync, getMessage, itemsWithHeights, statusMessage } from './sync-wire.js';

/** Penalty for a peer that sends a malformed sync message or a block that does not verify. */
const BAD_SYNC_PENALTY = 50;

/** What block sync needs of the p2p layer. */
export type SyncP2P = Pick<P2P, 'onMessage' | 'onPeerConnected' | 'onPeerDisconnected' | 'send' | 'broadcast' | 'report'>;

export interface BlockSyncDeps {
  readonly chain: Chain;
  readonly blocks: BlockStore;
  readonly p2p: SyncP2P;
  readonly clock: Clock;
  readonly log: Logger;
  /** the chain moved on by block sync: the driver starts over at the chain's next height */
  readonly onAdvanced: () => void;
  /** the largest block; a peer's answer to one request stops before this many bytes */
  readonly bytesMax: number;
  /** runs `fn` in a later event-loop turn (setImmediate; a test may step it by hand) */
  readonly defer?: (fn: () => void) => void;
  /** the transaction signatures of a synced block, checked ahead of its commit (default: `TxSignatureChecker`, on a thread of its own) */
  readonly checkSignatures?: (block: Block) => Promise<boolean[] | undefined>;
  /** this node cannot go on (a block could not be written: its storage failed) */
  readonly onFatal?: (e: unknown) => void;
}

/**
 * Block sync (CometBFT's blocksync reactor): nodes tell each other their height; a node behind asks
 * the peers ahead for the blocks it lacks with their commits, several ranges from several peers at
 * once (`SyncSchedule` decides which and whom), and commits them strictly in height order, one
 * event-loop turn at a time (`SyncApplier`, `syncApplyBudgetMs`), so that its API, its peers and
 * consensus are served meanwhile and the next ranges are on their way while it commits; the next
 * blocks' transaction signatures are checked ahead on a thread (`TxSignatureChecker`). The Chain checks each
 * block against the tip and its commit against the validator set of its height before executing
 * it; a peer whose block does not verify is penalised and its blocks are asked of others. Within
 * one block of the best peer's height, the driver is told at once (`onAdvanced`) and consensus
 * takes over; further behind, at most once per `syncStatusIntervalMs`.
 */
export class BlockSync {
  private readonly schedule: SyncSchedule;
  private readonly applier: SyncApplier;
  private readonly signatures = new TxSignatureChecker();
  private timer: unknown;
  private unsubscribe: (() => void)[] = [];
  private running = false;
  /** blocks committed since the driver was last told, and when it was */
  private unannounced = 0;
  private announcedAt = 0;

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: BlockSyncDeps,
  ) {
    this.schedule = new SyncSchedule({
      rangeBlocksMax: opts.syncBatchBlocksMax,
      peerRequestsMax: opts.syncPeerRequestsMax,
      requestTimeoutMs: opts.syncRequestTimeoutMs,
      bufferBytesMax: opts.syncBufferBytesMax,
      answerBytesMax: deps.bytesMax + 64 * 1024,
    });
    this.applier = new SyncApplier({
      chain: deps.chain,
      schedule: this.schedule,
      clock: deps.clock,
      log: deps.log,
      bytesMax: deps.bytesMax,
      budgetMs: opts.syncApplyBudgetMs,
      defer: deps.defer ?? ((fn) => void setImmediate(fn)),
      checkSignatures: deps.checkSignatures ?? ((block) => this.signatures.check(block)),
      misbehaved: (peer, reason) => deps.p2p.report(peer, BAD_SYNC_PENALTY, reason),
      committed: (n) => this.committed(n),
      fatal: (e) => (deps.onFatal ? deps.onFatal(e) : deps.log.fatal({ err: (e as Error).message }, 'block sync stopped')),
    });
  }

  /** Heights peers last reported. */
  peerHeights(): ReadonlyMap<string, number> {
    return this.schedule.peerHeights();
  }

  /** Whether some peer is known to be ahead of this node. */
  get behind(): boolean {
    return this.schedule.best() > this.deps.chain.lastHeight();
  }

  /**
   * More than one block behind the best peer: block sync, not consensus, moves this node on, and
   * gossiped transactions are not taken (they would be checked against old state, only to arrive
   * again in the blocks being synced, and re-checked after every one of them).
   */
  get catchingUp(): boolean {
    return this.schedule.trustedBest() > this.deps.chain.lastHeight() + 1;
  }

  /** Requests in flight, blocks waiting for their parents and their bytes (for /v1/status). */
  stats(): ReturnType<SyncSchedule['stats']> {
    return this.schedule.stats();
  }

  start(): void {
    const { p2p } = this.deps;
    this.running = true;
    this.unsubscribe.push(
      p2p.onMessage((peer, ch, bytes) => {
        if (ch === CH.sync) this.receive(peer, bytes);
      }),
      p2p.onPeerConnected((peer) => p2p.send(peer, CH.sync, statusMessage(this.deps.chain.lastHeight()))),
      p2p.onPeerDisconnected((peer) => {
        this.schedule.removePeer(peer);
        this.request();
      }),
    );
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.applier.stop();
    void this.signatures.close();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
  }

  private tick(): void {
    if (!this.running) return;
    if (this.unannounced > 0) this.announce();
    this.deps.p2p.broadcast(CH.sync, statusMessage(this.deps.chain.lastHeight()));
    this.request();
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.opts.syncStatusIntervalMs);
  }

  /** Sends what the schedule asks now (timeouts included). An unsent request times out like an unanswered one. */
  private request(): void {
    if (!this.running) return;
    for (const r of this.schedule.plan(this.deps.clock.now(), this.deps.chain.lastHeight())) {
      this.deps.p2p.send(r.peer, CH.sync, getMessage(r.from, r.count));
    }
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let msg: SyncMessage;
    let items;
    try {
      msg = decodeSync(bytes, this.opts.syncBatchBlocksMax);
      if (msg.t === 'blocks') items = itemsWithHeights(msg.items);
    } catch (e) {
      if (!(e instanceof SalusError)) throw e;
      this.deps.p2p.report(peer, BAD_SYNC_PENALTY, `sync message: ${e.message}`);
      return;
    }
    if (msg.t === 'status') {
      const known = this.schedule.peerHeights().get(peer);
      this.schedule.setPeerHeight(peer, msg.height);
      const mine = this.deps.chain.lastHeight();
      if (msg.height > mine) {
        if (msg.height > mine + 1 && !this.deps.checkSignatures) this.signatures.warm();
        this.request();
      }
      // a peer behind (one just started, say) learns our height at once, not at our next status
      else if (msg.height < mine && known !== msg.height) this.deps.p2p.send(peer, CH.sync, statusMessage(mine));
    } else if (msg.t === 'get') this.serve(peer, msg.from, msg.count);
    else if (items && this.schedule.received(peer, items, this.deps.chain.lastHeight())) {
      // the next ranges go out before these blocks are committed
      this.request();
      this.applier.kick();
    }
    // else: an answer to no request of ours (one forgotten after its timeout): dropped
  }

  private serve(peer: string, from: number, count: number): void {
    const { blocks, chain } = this.deps;
    // a node started from a snapshot holds no block below its base: the peer asks another (its request times out)
    if (from < blocks.base) return;
    const items: { block: Uint8Array; commit: Uint8Array }[] = [];
    let bytes = 0;
    for (let h = from; h < from + count && h <= chain.lastHeight(); h++) {
      const b = blocks.requireBlock(h);
      const block = encodeBlock({ header: b.header, txs: blocks.getTxs(h).map((t) => t.tx) });
      if (items.length > 0 && bytes + block.length > this.deps.bytesMax) break;
      bytes += block.length;
      items.push({ block, commit: encodeCommit(b.commit) });
    }
    if (items.length > 0) this.deps.p2p.send(peer, CH.sync, blocksMessage(items));
  }

  /** After a turn of commits: more requests fit; the driver is told near the tip, or once per status interval. */
  private committed(blocks: number): void {
    this.unannounced += blocks;
    if (this.deps.chain.lastHeight() + 1 >= this.schedule.trustedBest() || this.deps.clock.now() - this.announcedAt >= this.opts.syncStatusIntervalMs) this.announce();
    this.request();
  }

  /** Tells the driver (it starts over at the chain's next height) and the peers. */
  private announce(): void {
    const { chain, log } = this.deps;
    log.info({ height: chain.lastHeight(), blocks: this.unannounced, best: this.schedule.best() }, 'block sync: caught up blocks');
    this.unannounced = 0;
    this.announcedAt = this.deps.clock.now();
    this.deps.onAdvanced();
    this.deps.p2p.broadcast(CH.sync, statusMessage(chain.lastHeight()));
  }
}
