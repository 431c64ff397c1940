import type { Logger } from 'pino';
import { SalusError, decode, decodeBlock, decodeCommit, encode, encodeBlock, encodeCommit, v } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { BlockStore } from '../ledger/blockstore.js';
import type { P2P } from '../p2p/index.js';
import { CH } from './channels.js';
import type { BftOptions } from './options.js';

/** Penalty for a peer that sends a malformed sync message or a block that does not verify. */
const BAD_SYNC_PENALTY = 50;

type SyncMessage =
  | { readonly t: 'status'; readonly height: number }
  | { readonly t: 'get'; readonly from: number; readonly count: number }
  | { readonly t: 'blocks'; readonly items: readonly { readonly block: Uint8Array; readonly commit: Uint8Array }[] };

function decodeSync(bytes: Uint8Array, blocksMax: number): SyncMessage {
  const o = v.record(decode(bytes, 64 * 1024 * 1024), 'sync');
  const t = v.oneOf(o.t, 'sync.t', ['status', 'get', 'blocks'] as const);
  if (t === 'status') {
    v.onlyKeys(o, ['t', 'height'], 'sync');
    return { t, height: v.uint(o.height, 'sync.height') };
  }
  if (t === 'get') {
    v.onlyKeys(o, ['t', 'from', 'count'], 'sync');
    return { t, from: v.uint(o.from, 'sync.from'), count: v.uint(o.count, 'sync.count', blocksMax) };
  }
  v.onlyKeys(o, ['t', 'items'], 'sync');
  const items = v.list(o.items, 'sync.items', blocksMax).map((x, i) => {
    const r = v.record(x, `sync.items[${i}]`);
    v.onlyKeys(r, ['block', 'commit'], `sync.items[${i}]`);
    return { block: v.bytes(r.block, 'block'), commit: v.bytes(r.commit, 'commit') };
  });
  return { t, items };
}

/**
 * Block sync (CometBFT's blocksync reactor): nodes tell each other their height; a node behind asks
 * a peer ahead for the next blocks with their commits, and commits each one only after the Chain
 * has checked it against the tip and its commit against the validator set of its height. A peer
 * that sends a block that does not verify is penalised and another is asked.
 */
export class BlockSync {
  private readonly heights = new Map<string, number>();
  private inflight: { peer: string; from: number; at: number } | undefined;
  private timer: unknown;
  private unsubscribe: (() => void)[] = [];
  private running = false;

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: { chain: Chain; blocks: BlockStore; p2p: P2P; clock: Clock; log: Logger; onAdvanced: () => void; bytesMax: number },
  ) {}

  /** Heights peers last reported. */
  peerHeights(): ReadonlyMap<string, number> {
    return this.heights;
  }

  /** Whether some peer is known to be ahead of this node. */
  get behind(): boolean {
    const mine = this.deps.chain.lastHeight();
    for (const h of this.heights.values()) if (h > mine) return true;
    return false;
  }

  start(): void {
    const { p2p } = this.deps;
    this.running = true;
    this.unsubscribe.push(
      p2p.onMessage((peer, ch, bytes) => {
        if (ch === CH.sync) this.receive(peer, bytes);
      }),
      p2p.onPeerConnected((peer) => p2p.send(peer, CH.sync, this.statusBytes())),
      p2p.onPeerDisconnected((peer) => {
        this.heights.delete(peer);
        if (this.inflight?.peer === peer) this.inflight = undefined;
      }),
    );
    this.tick();
  }

  stop(): void {
    this.running = false;
    for (const u of this.unsubscribe) u();
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
  }

  private statusBytes(): Uint8Array {
    return encode({ t: 'status', height: this.deps.chain.lastHeight() });
  }

  private tick(): void {
    if (!this.running) return;
    this.deps.p2p.broadcast(CH.sync, this.statusBytes());
    this.maybeRequest();
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.opts.syncStatusIntervalMs);
  }

  private maybeRequest(): void {
    const now = this.deps.clock.now();
    if (this.inflight && now - this.inflight.at < this.opts.syncRequestTimeoutMs) return;
    const from = this.deps.chain.lastHeight() + 1;
    const ahead = [...this.heights].filter(([p, h]) => h >= from && p !== this.inflight?.peer);
    const pick = ahead.length > 0 ? ahead[Math.floor(Math.random() * ahead.length)]! : [...this.heights].find(([, h]) => h >= from);
    if (!pick) {
      this.inflight = undefined;
      return;
    }
    const [peer, h] = pick;
    const count = Math.min(this.opts.syncBatchBlocksMax, h - from + 1);
    this.inflight = { peer, from, at: now };
    this.deps.p2p.send(peer, CH.sync, encode({ t: 'get', from, count }));
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let msg: SyncMessage;
    try {
      msg = decodeSync(bytes, this.opts.syncBatchBlocksMax);
    } catch (e) {
      this.deps.p2p.report(peer, BAD_SYNC_PENALTY, `sync message: ${(e as Error).message}`);
      return;
    }
    if (msg.t === 'status') {
      this.heights.set(peer, msg.height);
      if (msg.height > this.deps.chain.lastHeight()) this.maybeRequest();
    } else if (msg.t === 'get') this.serve(peer, msg.from, msg.count);
    else this.apply(peer, msg.items);
  }

  private serve(peer: string, from: number, count: number): void {
    const { blocks, chain } = this.deps;
    const items: { block: Uint8Array; commit: Uint8Array }[] = [];
    let bytes = 0;
    for (let h = from; h < from + count && h <= chain.lastHeight(); h++) {
      const b = blocks.requireBlock(h);
      const block = encodeBlock({ header: b.header, txs: blocks.getTxs(h).map((t) => t.tx) });
      if (items.length > 0 && bytes + block.length > this.deps.bytesMax) break;
      bytes += block.length;
      items.push({ block, commit: encodeCommit(b.commit) });
    }
    if (items.length > 0) this.deps.p2p.send(peer, CH.sync, encode({ t: 'blocks', items }));
  }

  private apply(peer: string, items: readonly { block: Uint8Array; commit: Uint8Array }[]): void {
    const { chain, log } = this.deps;
    let committed = 0;
    for (const item of items) {
      try {
        const block = decodeBlock(item.block, this.deps.bytesMax);
        if (block.header.height <= chain.lastHeight()) continue;
        if (block.header.height !== chain.lastHeight() + 1) break;
        chain.commitBlock(block, decodeCommit(item.commit));
        committed++;
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
        log.warn({ peer: peer.slice(0, 16), reason: (e as Error).message }, 'block sync: a block from this peer does not verify');
        this.deps.p2p.report(peer, BAD_SYNC_PENALTY, `block sync: ${(e as Error).message}`);
        break;
      }
    }
    if (this.inflight?.peer === peer) this.inflight = undefined;
    if (committed > 0) {
      log.info({ height: chain.lastHeight(), blocks: committed }, 'block sync: caught up blocks');
      this.deps.onAdvanced();
      this.deps.p2p.broadcast(CH.sync, this.statusBytes());
    }
    this.maybeRequest();
  }
}
