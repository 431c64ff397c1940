/**
 * Which blocks block sync asks whom, and what it keeps until their parents are committed: a pure
 * state machine (no sockets, no clock of its own: time comes in as `now`), so the scheduling is
 * tested without a network (CometBFT's blocksync pool is the model).
 *
 * Heights above the chain's tip are cut into consecutive ranges. Each range is asked of one peer
 * whose reported height covers it (the one with the fewest requests in flight, at most
 * `peerRequestsMax` each), so several peers serve at once; a range unanswered after
 * `requestTimeoutMs`, or holding a block that does not verify, is asked again of another peer.
 * Answers may arrive in any order: their blocks wait in a buffer bounded in bytes, together with the
 * largest answer every request in flight may still bring, and leave it strictly in height order.
 */
export interface SyncScheduleOptions {
  /** blocks asked for in one request (a peer also stops before `answerBytesMax`) */
  readonly rangeBlocksMax: number;
  /** requests in flight to one peer */
  readonly peerRequestsMax: number;
  /** a request unanswered this long is asked of another peer */
  readonly requestTimeoutMs: number;
  /** blocks waiting for their parents, plus `answerBytesMax` for every request in flight */
  readonly bufferBytesMax: number;
  /** the largest answer a peer may send to one request */
  readonly answerBytesMax: number;
}

/** A block and its commit as a peer sent them (encoded), with the height its commit names. */
export interface SyncItem {
  readonly height: number;
  readonly block: Uint8Array;
  readonly commit: Uint8Array;
}

export interface Buffered extends SyncItem {
  /** the peer that sent it: the one penalised if it does not verify */
  readonly peer: string;
}

export interface SyncRequest {
  readonly peer: string;
  readonly from: number;
  readonly count: number;
}

interface InFlight extends SyncRequest {
  readonly sentAt: number;
  /** timed out and asked again elsewhere; a late answer is still taken */
  stale: boolean;
}

interface Pending {
  readonly from: number;
  readonly count: number;
  /** peers that did not answer this range or sent a bad block of it: asked last */
  readonly avoid: ReadonlySet<string>;
}

/** A range aims at about this many bytes, so that several peers share the blocks ahead. */
const RANGE_BYTES_TARGET = 1024 * 1024;
/** What a block is assumed to weigh before any has arrived. */
const BLOCK_BYTES_GUESS = 64 * 1024;
/** Stale requests remembered for late answers, at most. */
const STALE_MAX = 64;
/** Strikes (a timeout 1, a bad block 3, an answer −1) from which a peer's height is not trusted. */
const STRIKES_DISTRUST = 3;

export class SyncSchedule {
  private readonly heights = new Map<string, number>();
  /** timeouts and bad blocks, less answers: the peer with fewer is asked first */
  private readonly strikes = new Map<string, number>();
  private readonly buffer = new Map<number, Buffered>();
  private inflight: InFlight[] = [];
  private pending: Pending[] = [];
  /** the lowest height no range covers yet */
  private frontier = 0;
  private bufferedBytes = 0;
  private blockBytes = BLOCK_BYTES_GUESS;
  private turn = 0;
  private readonly lastAsked = new Map<string, number>();

  constructor(private readonly o: SyncScheduleOptions) {}

  peerHeights(): ReadonlyMap<string, number> {
    return this.heights;
  }

  /** The highest height a peer reported (0 without peers). */
  best(): number {
    let max = 0;
    for (const h of this.heights.values()) max = Math.max(max, h);
    return max;
  }

  /**
   * The highest height reported by a peer in good standing: one whose requests timed out or whose
   * blocks did not verify (STRIKES_DISTRUST, less its answers since) no longer counts, so a peer that
   * claims a height it does not serve cannot keep this node catching up.
   */
  trustedBest(): number {
    let max = 0;
    for (const [peer, h] of this.heights) if ((this.strikes.get(peer) ?? 0) < STRIKES_DISTRUST) max = Math.max(max, h);
    return max;
  }

  setPeerHeight(peer: string, height: number): void {
    this.heights.set(peer, height);
  }

  /** A peer gone: its requests are asked of others; blocks it sent stay (they are verified anyway). */
  removePeer(peer: string): void {
    this.heights.delete(peer);
    this.strikes.delete(peer);
    this.lastAsked.delete(peer);
    // a stale request was asked again when it timed out
    for (const r of this.inflight.filter((x) => x.peer === peer && !x.stale)) this.requeue(r, peer);
    this.inflight = this.inflight.filter((x) => x.peer !== peer);
  }

  /** Counts for /v1/status and logs. */
  stats(): { requests: number; buffered: number; bufferedBytes: number; pending: number } {
    return { requests: this.inflight.filter((r) => !r.stale).length, buffered: this.buffer.size, bufferedBytes: this.bufferedBytes, pending: this.pending.length };
  }

  /** Whether the block after `tip` is here to be applied. */
  ready(tip: number): boolean {
    return this.buffer.has(tip + 1);
  }

  /** The block at `height`, if it is here (it stays). */
  peek(height: number): Buffered | undefined {
    return this.buffer.get(height);
  }

  /** Takes the block after `tip`, if it is here. */
  take(tip: number): Buffered | undefined {
    this.forget(tip);
    const b = this.buffer.get(tip + 1);
    if (b) this.drop(b.height);
    return b;
  }

  /** The block at `height` from `peer` did not verify: every block that peer sent is asked of others. */
  bad(height: number, peer: string): void {
    this.strike(peer, 3);
    const heights = [height, ...[...this.buffer.values()].filter((b) => b.peer === peer).map((b) => b.height)].sort((a, b) => a - b);
    for (const h of heights) this.drop(h);
    // consecutive heights go back as one range
    let from = heights[0]!;
    heights.forEach((h, k) => {
      if (heights[k + 1] === h + 1) return;
      this.pending.push({ from, count: h - from + 1, avoid: new Set([peer]) });
      from = heights[k + 1]!;
    });
    this.sortPending();
  }

  /**
   * An answer from `peer`: consecutive blocks from the start of a range asked of it. Returns false
   * when no request of this peer starts there or the heights do not follow on (nothing is kept).
   */
  received(peer: string, items: readonly SyncItem[], tip: number): boolean {
    const first = items[0];
    const i = first ? this.inflight.findIndex((r) => r.peer === peer && r.from === first.height) : -1;
    if (i < 0) return false;
    const req = this.inflight[i]!;
    if (items.length > req.count || items.some((x, k) => x.height !== req.from + k)) return false;
    this.inflight.splice(i, 1);
    this.strike(peer, -1);
    for (const it of items) {
      const bytes = it.block.length + it.commit.length;
      this.blockBytes = Math.max(1, Math.round(this.blockBytes * 0.8 + bytes * 0.2));
      if (it.height <= tip || this.buffer.has(it.height)) continue;
      // a late answer brings blocks that were asked again: kept only while they fit
      if (req.stale && this.bufferedBytes + this.reserved() + bytes > this.o.bufferBytesMax) continue;
      this.buffer.set(it.height, { ...it, peer });
      this.bufferedBytes += bytes;
    }
    // a peer stops short of the range at its byte limit: the rest is asked again at once
    if (!req.stale && items.length < req.count) this.pending.push({ from: req.from + items.length, count: req.count - items.length, avoid: new Set() });
    this.sortPending();
    return true;
  }

  /**
   * The requests to send now: requests past their time are asked of another peer, then ranges
   * waiting to be asked again, then new ranges above the highest asked, while the buffer and the
   * peers' request limits allow. The range just above the tip is asked whatever the buffer holds.
   */
  plan(now: number, tip: number): SyncRequest[] {
    this.forget(tip);
    for (const r of this.inflight) {
      if (r.stale || now - r.sentAt < this.o.requestTimeoutMs) continue;
      r.stale = true;
      this.strike(r.peer, 1);
      this.requeue(r, r.peer);
    }
    this.inflight = this.inflight.filter((r) => !r.stale).concat(this.inflight.filter((r) => r.stale).slice(-STALE_MAX));
    const out: SyncRequest[] = [];
    const next = [...this.pending];
    this.pending = [];
    for (const p of next) {
      const sent = this.room() || p.from === tip + 1 ? this.assign(p, now) : undefined;
      if (sent) {
        out.push({ peer: sent.peer, from: sent.from, count: sent.count });
        if (sent.count < p.count) this.pending.push({ from: p.from + sent.count, count: p.count - sent.count, avoid: p.avoid });
      } else this.pending.push(p);
    }
    const top = this.best();
    while (this.frontier <= top && (this.room() || this.frontier === tip + 1)) {
      const count = Math.min(top - this.frontier + 1, this.rangeBlocks());
      const sent = this.assign({ from: this.frontier, count, avoid: new Set() }, now);
      if (!sent) break;
      out.push({ peer: sent.peer, from: sent.from, count: sent.count });
      this.frontier += sent.count;
    }
    this.sortPending();
    return out;
  }

  /** Blocks per range: about RANGE_BYTES_TARGET by the weight of the blocks seen so far. */
  private rangeBlocks(): number {
    return Math.max(1, Math.min(this.o.rangeBlocksMax, Math.floor(RANGE_BYTES_TARGET / this.blockBytes)));
  }

  /** Bytes held for the answers of requests in flight (late answers of stale ones are checked on arrival). */
  private reserved(): number {
    return this.inflight.filter((r) => !r.stale).length * this.o.answerBytesMax;
  }

  /** Whether one more request fits in the buffer's bound. */
  private room(): boolean {
    return this.bufferedBytes + this.reserved() + this.o.answerBytesMax <= this.o.bufferBytesMax;
  }

  /** Asks the range (or its start, as far as the chosen peer's height reaches) of the best peer for it. */
  private assign(p: Pending, now: number): InFlight | undefined {
    let pick: string | undefined;
    let pickKey: readonly number[] = [];
    for (const [peer, h] of this.heights) {
      const busy = this.inflight.filter((r) => r.peer === peer && !r.stale).length;
      if (h < p.from || busy >= this.o.peerRequestsMax) continue;
      const key = [p.avoid.has(peer) ? 1 : 0, busy, this.strikes.get(peer) ?? 0, this.lastAsked.get(peer) ?? -1];
      if (pick === undefined || less(key, pickKey)) [pick, pickKey] = [peer, key];
    }
    if (pick === undefined) return undefined;
    const count = Math.min(p.count, this.heights.get(pick)! - p.from + 1);
    const r: InFlight = { peer: pick, from: p.from, count, sentAt: now, stale: false };
    this.inflight.push(r);
    this.lastAsked.set(pick, this.turn++);
    return r;
  }

  /** The heights of a request not yet here go back to be asked again, `peer` last. */
  private requeue(r: SyncRequest, peer: string): void {
    let start: number | undefined;
    const flush = (end: number) => {
      if (start !== undefined) this.pending.push({ from: start, count: end - start, avoid: new Set([peer]) });
      start = undefined;
    };
    for (let h = r.from; h < r.from + r.count; h++) {
      if (this.buffer.has(h)) flush(h);
      else start ??= h;
    }
    flush(r.from + r.count);
    this.sortPending();
  }

  /** Drops what the chain already holds (the driver may commit too). */
  private forget(tip: number): void {
    for (const h of [...this.buffer.keys()]) if (h <= tip) this.drop(h);
    this.pending = this.pending.flatMap((p) => (p.from + p.count - 1 <= tip ? [] : p.from > tip ? [p] : [{ ...p, from: tip + 1, count: p.from + p.count - tip - 1 }]));
    this.frontier = Math.max(this.frontier, tip + 1);
  }

  private drop(height: number): void {
    const b = this.buffer.get(height);
    if (!b) return;
    this.buffer.delete(height);
    this.bufferedBytes -= b.block.length + b.commit.length;
  }

  private strike(peer: string, n: number): void {
    this.strikes.set(peer, Math.max(0, (this.strikes.get(peer) ?? 0) + n));
  }

  private sortPending(): void {
    this.pending.sort((a, b) => a.from - b.from);
  }
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
