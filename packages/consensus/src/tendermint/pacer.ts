import { toHex } from '@salus/core';
import type { TendermintInput } from './io.js';
import type { TendermintOptions } from './options.js';
import { proposerOf } from './proposer.js';
import type { TendermintState } from './state.js';

/**
 * Adaptive propose timeouts. The machine asks a `ProposeTimeoutSource` how long to wait for the
 * proposal of (height, round); the driver keeps a `ProposePacer`, shows it the machine's state
 * after every input it steps (with the time, from the driver's clock), and passes it to the machine.
 *
 *   estimate  = clamp(⌈P(q) of the last N proposal delays × margin⌉, floor, timeoutProposeMs)
 *   timeout   = (presumed down ? min(down, estimate) : estimate) + timeoutProposeDeltaMs × round
 *
 * - A proposal delay is the time from this node's start of a round to the arrival of that round's
 *   (complete) proposal, late ones included: a proposal that comes after the timeout still counts,
 *   so a network that slows down raises the estimate. Before `PACING_SAMPLES_MIN` delays are known
 *   the estimate is the configured `timeoutProposeMs`, which is also its ceiling.
 * - A proposer whose turn ran out (the propose timeout fired with no proposal of that round) has
 *   missed a turn; after `proposerMissesDown` consecutive misses it is presumed down and its turns
 *   get the short timeout, until any proposal signed by it arrives — even a late one — which
 *   clears its record at once.
 * - A proposer this node has lost its direct link to (the transport saw the connection close: a
 *   killed process closes its sockets at once) is presumed down at once, without waiting for a
 *   missed turn, until the link is back or a proposal of its arrives (relayed by others: it is alive).
 *   A link is only a hint: a proposer that is alive but unreachable from here costs this node a nil
 *   prevote at worst, while those that hear from it still form a quorum.
 * - The delta still grows the timeout round after round, so after GST some round's timeout exceeds
 *   the real delay, whatever the estimate: the paper's liveness argument is unchanged.
 *
 * Timeouts decide only when a node gives up waiting; no vote, lock or decision depends on them,
 * so this changes liveness and speed, never safety. It is deterministic given (states, times):
 * the simulator runs it on its virtual clock. It is soft state: a restarted node starts afresh.
 */
export interface ProposeTimeoutSource {
  proposeTimeoutMs(height: number, round: number, proposer: Uint8Array): number;
}

/** Delays needed before the estimate replaces the configured timeout. */
export const PACING_SAMPLES_MIN = 8;

/** Nearest-rank percentile of an ascending list (non-empty). */
export function percentile(sorted: readonly number[], pct: number): number {
  const rank = Math.ceil((pct / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface PacerStatus {
  readonly estimateMs: number;
  readonly samples: number;
  /** hex keys of the proposers presumed down */
  readonly presumedDown: readonly string[];
}

export class ProposePacer implements ProposeTimeoutSource {
  private readonly delays: number[] = [];
  private readonly misses = new Map<string, number>();
  /** proposers whose direct link to this node closed, and has not come back */
  private readonly unreachable = new Set<string>();
  private readonly self: string | null;
  private height = 0;
  private round = -1;
  private step = '';
  /** at this height: when each round started here, proposals already looked at, rounds sampled */
  private readonly starts = new Map<number, number>();
  private readonly noted = new Map<number, number>();
  private readonly sampled = new Set<number>();

  constructor(
    private readonly opts: TendermintOptions,
    self: Uint8Array | null = null,
  ) {
    this.self = self ? toHex(self) : null;
  }

  proposeTimeoutMs(_height: number, round: number, proposer: Uint8Array): number {
    const { opts } = this;
    const delta = opts.timeoutProposeDeltaMs * round;
    if (!opts.timeoutProposeAdaptive) return opts.timeoutProposeMs + delta;
    const base = this.estimateMs();
    return (this.presumedDown(proposer) ? Math.min(opts.timeoutProposeDownMs, base) : base) + delta;
  }

  /** The round-0 timeout for a live proposer. */
  estimateMs(): number {
    const { opts } = this;
    if (this.delays.length < Math.min(PACING_SAMPLES_MIN, opts.timeoutProposeSamples)) return opts.timeoutProposeMs;
    const p = percentile([...this.delays].sort((a, b) => a - b), opts.timeoutProposePercentile);
    const est = Math.ceil((p * opts.timeoutProposeMarginPct) / 100);
    return Math.min(opts.timeoutProposeMs, Math.max(opts.timeoutProposeFloorMs, est));
  }

  presumedDown(proposer: Uint8Array): boolean {
    return this.isDown(toHex(proposer));
  }

  /** The transport lost its link to this validator (hex key): presumed down until `linkUp` or a proposal of its. */
  linkDown(key: string): void {
    if (key !== this.self) this.unreachable.add(key);
  }

  linkUp(key: string): void {
    this.unreachable.delete(key);
  }

  status(): PacerStatus {
    const keys = new Set([...this.misses.keys(), ...this.unreachable]);
    return { estimateMs: this.estimateMs(), samples: this.delays.length, presumedDown: [...keys].filter((k) => this.isDown(k)).sort() };
  }

  private isDown(key: string): boolean {
    return this.unreachable.has(key) || (this.misses.get(key) ?? 0) >= this.opts.proposerMissesDown;
  }

  /**
   * What the machine's state shows after it handled `input` at time `now`: round starts, arriving
   * proposals (delays, and proposers heard from) and turns that ran out. Not for WAL replays: their
   * times mean nothing.
   */
  observe(s: Readonly<TendermintState>, input: TendermintInput, now: number): void {
    if (s.step === 'idle') return;
    // The propose timeout of the round we were waiting in, with no proposal for it held: a missed turn.
    const ranOut = input.kind === 'timeout' && input.step === 'propose' && this.step === 'propose' && input.height === this.height && input.round === this.round && input.height === s.height;
    if (s.height !== this.height) {
      this.height = s.height;
      this.round = -1;
      this.starts.clear();
      this.noted.clear();
      this.sampled.clear();
    }
    if (s.round !== this.round) {
      this.round = s.round;
      if (!this.starts.has(s.round)) this.starts.set(s.round, now);
    }
    this.step = s.step;
    for (const k of Object.keys(s.rounds)) {
      const r = Number(k);
      const held = s.rounds[k]!.proposals;
      const seen = this.noted.get(r) ?? 0;
      if (held.length === seen) continue;
      this.noted.set(r, held.length);
      for (const p of held.slice(seen)) this.heardFrom(toHex(p.proposal.proposer), r, now);
    }
    if (ranOut && (s.rounds[input.round]?.proposals.length ?? 0) === 0) {
      const key = toHex(proposerOf(s.validators, s.height, input.round));
      if (key !== this.self) this.misses.set(key, (this.misses.get(key) ?? 0) + 1);
    }
  }

  private heardFrom(key: string, round: number, now: number): void {
    if (key === this.self) return;
    this.misses.delete(key);
    this.unreachable.delete(key);
    const start = this.starts.get(round);
    if (start === undefined || this.sampled.has(round)) return;
    this.sampled.add(round);
    this.delays.push(Math.max(0, now - start));
    if (this.delays.length > this.opts.timeoutProposeSamples) this.delays.shift();
  }
}
