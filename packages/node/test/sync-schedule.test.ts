import { describe, expect, it } from 'vitest';
import { SyncSchedule, type SyncItem, type SyncRequest, type SyncScheduleOptions } from '../src/consensus/sync-schedule.js';

/**
 * Block sync's scheduling as pure code: which ranges are asked of whom, timeouts on a clock the
 * test moves, answers out of order, a peer that sends a bad block, the buffer's bound.
 */
const KB = 1024;
const OPTS: SyncScheduleOptions = { rangeBlocksMax: 10, peerRequestsMax: 2, requestTimeoutMs: 1000, bufferBytesMax: 100 * 1024 * KB, answerBytesMax: 1024 * KB };

function schedule(peers: Record<string, number>, o: Partial<SyncScheduleOptions> = {}): SyncSchedule {
  const s = new SyncSchedule({ ...OPTS, ...o });
  for (const [p, h] of Object.entries(peers)) s.setPeerHeight(p, h);
  return s;
}

/** What an honest peer answers: the blocks of the range, each `bytes` long. */
function answer(r: SyncRequest, bytes = 100 * KB, n = r.count): SyncItem[] {
  return Array.from({ length: n }, (_, k) => ({ height: r.from + k, block: new Uint8Array(bytes), commit: new Uint8Array(0) }));
}

/** Every height in [lo, hi] is asked exactly once among `reqs`. */
function coversOnce(reqs: readonly SyncRequest[], lo: number, hi: number): void {
  const seen = new Map<number, number>();
  for (const r of reqs) for (let h = r.from; h < r.from + r.count; h++) seen.set(h, (seen.get(h) ?? 0) + 1);
  for (let h = lo; h <= hi; h++) expect(seen.get(h), `height ${h}`).toBe(1);
}

/** Takes every block that follows `tip` in order; returns the new tip. */
function drain(s: SyncSchedule, tip: number): number {
  for (let b = s.take(tip); b; b = s.take(tip)) {
    expect(b.height).toBe(tip + 1);
    tip = b.height;
  }
  return tip;
}

describe('SyncSchedule', () => {
  it('spreads consecutive ranges over every peer ahead, at most peerRequestsMax each', () => {
    const s = schedule({ a: 100, b: 100, c: 100 });
    const reqs = s.plan(0, 0);
    expect(reqs).toHaveLength(6);
    coversOnce(reqs, 1, 60);
    expect(reqs.map((r) => r.from)).toEqual([1, 11, 21, 31, 41, 51]);
    // the first three ranges go to three different peers
    expect(new Set(reqs.slice(0, 3).map((r) => r.peer)).size).toBe(3);
    for (const p of ['a', 'b', 'c']) expect(reqs.filter((r) => r.peer === p)).toHaveLength(2);
    // nothing more while every peer has its requests in flight
    expect(s.plan(10, 0)).toEqual([]);
  });

  it('asks a peer only for heights it has, and stops at the best height', () => {
    const s = schedule({ low: 4, high: 25 });
    const reqs = s.plan(0, 0);
    // low serves 1–4; high has its two requests in flight (5–14, 15–24)
    coversOnce(reqs, 1, 24);
    for (const r of reqs.filter((x) => x.peer === 'low')) expect(r.from + r.count - 1).toBeLessThanOrEqual(4);
    const r = reqs.find((x) => x.peer === 'high')!;
    expect(s.received('high', answer(r), 0)).toBe(true);
    expect(s.plan(1, 0)).toEqual([{ peer: 'high', from: 25, count: 1 }]);
    expect(s.plan(2, 0)).toEqual([]);
  });

  it('asks nothing when no peer is ahead', () => {
    expect(schedule({ a: 7 }).plan(0, 7)).toEqual([]);
    expect(schedule({}).plan(0, 0)).toEqual([]);
  });

  it('applies strictly in height order whatever order the answers come in', () => {
    const s = schedule({ a: 30, b: 30, c: 30 });
    const reqs = s.plan(0, 0);
    const [r1, r2, r3] = reqs;
    expect(s.received(r3!.peer, answer(r3!), 0)).toBe(true);
    expect(s.received(r2!.peer, answer(r2!), 0)).toBe(true);
    expect(s.ready(0)).toBe(false);
    expect(s.take(0)).toBeUndefined();
    expect(s.received(r1!.peer, answer(r1!), 0)).toBe(true);
    expect(drain(s, 0)).toBe(30);
    expect(s.stats()).toMatchObject({ buffered: 0, bufferedBytes: 0, requests: 0 });
  });

  it('asks a range of another peer when its request times out, and still takes the late answer', () => {
    const s = schedule({ slow: 50, fast: 50 }, { peerRequestsMax: 1 });
    const first = s.plan(0, 0);
    const slow = first.find((r) => r.from === 1)!;
    const fast = first.find((r) => r.from !== 1)!;
    expect(s.received(fast.peer, answer(fast), 0)).toBe(true);
    // before the timeout, the free peer gets the next new range
    const more = s.plan(999, 0);
    expect(more.map((r) => [r.peer, r.from])).toEqual([[fast.peer, 21]]);
    expect(s.received(fast.peer, answer(more[0]!), 0)).toBe(true);
    // at the timeout, the lowest range goes to the other peer, first
    const again = s.plan(1000, 0);
    expect(again[0]).toEqual({ peer: fast.peer, from: 1, count: 10 });
    // the slow peer's late answer is taken (it arrived first) and the retry's answer adds nothing
    expect(s.received(slow.peer, answer(slow), 0)).toBe(true);
    expect(s.received(fast.peer, answer(again[0]!), 0)).toBe(true);
    expect(drain(s, 0)).toBe(30);
  });

  it('retries a timed-out range with the same peer when it is the only one ahead', () => {
    const s = schedule({ only: 5 });
    expect(s.plan(0, 0)).toEqual([{ peer: 'only', from: 1, count: 5 }]);
    expect(s.plan(500, 0)).toEqual([]);
    expect(s.plan(1000, 0)).toEqual([{ peer: 'only', from: 1, count: 5 }]);
  });

  it('asks another peer for every block of a peer whose block does not verify', () => {
    const s = schedule({ liar: 40, honest: 40 }, { peerRequestsMax: 1 });
    const reqs = s.plan(0, 0);
    const lie = reqs.find((r) => r.peer === 'liar')!;
    const ok = reqs.find((r) => r.peer === 'honest')!;
    expect(s.received('liar', answer(lie), 0)).toBe(true);
    expect(s.received('honest', answer(ok), 0)).toBe(true);
    const tip = lie.from === 1 ? 0 : drain(s, 0);
    const bad = s.take(tip)!;
    expect(bad.peer).toBe('liar');
    s.bad(bad.height, 'liar');
    // the liar's other blocks are gone too; the heights are asked of the honest peer first
    expect(s.ready(tip)).toBe(false);
    const retry = s.plan(1, tip);
    expect(retry[0]).toEqual({ peer: 'honest', from: bad.height, count: 10 });
  });

  it('asks the rest of a range at once when a peer stops short at its byte limit', () => {
    const s = schedule({ a: 10 }, { peerRequestsMax: 1 });
    const [r] = s.plan(0, 0);
    expect(s.received('a', answer(r!, 100 * KB, 4), 0)).toBe(true);
    expect(s.plan(1, 0)).toEqual([{ peer: 'a', from: 5, count: 6 }]);
  });

  it('keeps the buffer within its bound, but always asks for the block after the tip', () => {
    // room for the answers of two requests in flight, nothing more
    const s = schedule({ a: 1000, b: 1000, c: 1000 }, { bufferBytesMax: 2 * 1024 * KB });
    const reqs = s.plan(0, 0);
    expect(reqs.map((r) => r.from)).toEqual([1, 11]);
    const [r1, r2] = reqs;
    // the second range arrives (10 × 100 KB buffered): no room for a third request
    expect(s.received(r2!.peer, answer(r2!), 0)).toBe(true);
    expect(s.plan(1, 0)).toEqual([]);
    // the first range times out: it is asked again even though the buffer is full
    const retry = s.plan(1000, 0);
    expect(retry).toHaveLength(1);
    expect(retry[0]!.from).toBe(1);
    expect(retry[0]!.peer).not.toBe(r1!.peer);
    expect(s.stats().bufferedBytes).toBeLessThanOrEqual(2 * 1024 * KB);
  });

  it('sizes ranges by the weight of the blocks seen', () => {
    const s = schedule({ a: 10_000 }, { rangeBlocksMax: 64, peerRequestsMax: 1 });
    const [r1] = s.plan(0, 0);
    expect(r1!.count).toBe(16); // 1 MiB at 64 KiB a block before any arrived
    expect(s.received('a', answer(r1!, 512 * KB), 0)).toBe(true);
    drain(s, 0);
    const [r2] = s.plan(1, 16);
    expect(r2!.count).toBeLessThan(4);
  });

  it('asks others for the ranges of a peer that disconnects', () => {
    const s = schedule({ a: 20, b: 20 }, { peerRequestsMax: 1 });
    const reqs = s.plan(0, 0);
    const ofA = reqs.find((r) => r.peer === 'a')!;
    const ofB = reqs.find((r) => r.peer === 'b')!;
    expect(s.received('b', answer(ofB), 0)).toBe(true);
    s.removePeer('a');
    expect(s.peerHeights().has('a')).toBe(false);
    expect(s.plan(1, 0)).toEqual([{ peer: 'b', from: ofA.from, count: ofA.count }]);
  });

  it('refuses answers to no request, and heights that do not follow on', () => {
    const s = schedule({ a: 20, b: 20 });
    const [r] = s.plan(0, 0);
    const other = r!.peer === 'a' ? 'b' : 'a';
    expect(s.received(other, answer({ ...r!, peer: other }), 0)).toBe(false);
    expect(s.received(r!.peer, answer({ ...r!, from: r!.from + 1 }), 0)).toBe(false);
    const gap = answer(r!).map((x, k) => (k === 3 ? { ...x, height: 99 } : x));
    expect(s.received(r!.peer, gap, 0)).toBe(false);
    expect(s.received(r!.peer, answer(r!, 100, r!.count + 1), 0)).toBe(false);
    expect(s.stats().buffered).toBe(0);
    expect(s.received(r!.peer, answer(r!), 0)).toBe(true);
  });

  it('stops trusting the height of a peer that claims blocks it does not serve', () => {
    const s = schedule({ honest: 10, liar: 1_000_000 }, { peerRequestsMax: 1 });
    expect(s.trustedBest()).toBe(1_000_000);
    let now = 0;
    for (let i = 0; i < 3; i++) {
      for (const r of s.plan(now, 10)) if (r.peer === 'honest') s.received('honest', answer(r), 10);
      now += 1000;
    }
    s.plan(now, 10);
    expect(s.best()).toBe(1_000_000);
    expect(s.trustedBest()).toBe(10);
  });

  it('forgets what the chain committed by other means (consensus near the tip)', () => {
    const s = schedule({ a: 20 }, { peerRequestsMax: 1 });
    const [r] = s.plan(0, 0);
    expect(s.received('a', answer(r!), 0)).toBe(true);
    // consensus committed up to 12 meanwhile: the buffer holds nothing below 13
    expect(s.take(12)).toBeUndefined();
    expect(s.stats().buffered).toBe(0);
    expect(s.plan(1, 12)).toEqual([{ peer: 'a', from: 13, count: 8 }]);
  });
});
