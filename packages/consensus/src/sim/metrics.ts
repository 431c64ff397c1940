import type { TendermintOptions } from '../tendermint/options.js';
import type { NetworkOptions } from './network.js';
import type { SimNodeOptions } from './options.js';

/** What a scenario's own check sees of a finished run (besides the invariants, checked as it went). */
export interface RunView {
  /** height → when the first honest node committed it (virtual ms); index 0 unused */
  readonly commitTimes: readonly (number | undefined)[];
  /** times the scenario marked (e.g. 'crash') */
  readonly marks: Readonly<Record<string, number>>;
  readonly gstMs: number;
  readonly node: SimNodeOptions;
  readonly network: NetworkOptions;
  /** evidence honest nodes reported, by offence */
  readonly evidence: { readonly proposal: number; readonly vote: number };
}

/** A degraded-mode run: one validator down from `crashAt` on. */
export interface DownMetrics {
  /** heights per virtual second before the crash (after the first `warmupMs`), and while it is down */
  readonly healthyPerSec: number;
  readonly downPerSec: number;
  /** when the first block after the crash was committed, counted from the crash */
  readonly firstBlockMs: number;
  /** the longest and the second longest wait between two blocks while it is down, after that first one */
  readonly maxGapMs: number;
  readonly nextGapMs: number;
  /** the bounds the adaptive propose timeout promises for those two (see `downBounds`) */
  readonly firstBlockBoundMs: number;
  readonly gapBoundMs: number;
}

/**
 * The bounds on waiting for a proposer that is down, with message delays at most δ. Its first turn
 * after the crash waits at most the estimate, itself at most `timeoutProposeMs`; every later turn,
 * the proposer presumed down, at most `timeoutProposeDownMs` (with 3 of 4 up, each of the three
 * must time out in that first turn — no one can leave the round without the others' nil votes —
 * so all of them presume it down afterwards). Around that wait a height takes its
 * commit delay, the block's making, and message delays: the failed round's two nil votes, the next
 * round's proposal, prevotes and precommits, and the spread of round starts between nodes — 8δ.
 * No other timeout is waited out: 2f+1 nil precommits end a round at once (SPEC.md §4).
 */
export function downBounds(t: TendermintOptions, node: SimNodeOptions, delayMaxMs: number): { firstBlockBoundMs: number; gapBoundMs: number } {
  const around = node.commitDelayMs + node.appDelayMs + 8 * delayMaxMs;
  const down = t.timeoutProposeAdaptive ? Math.min(t.timeoutProposeDownMs, t.timeoutProposeMs) : t.timeoutProposeMs;
  return { firstBlockBoundMs: t.timeoutProposeMs + around, gapBoundMs: down + around };
}

export function downMetrics(run: RunView, crashAt: number, warmupMs = 300): DownMetrics {
  const times = run.commitTimes.filter((x): x is number => x !== undefined);
  const until = run.gstMs;
  const count = (from: number, to: number) => times.filter((x) => x >= from && x < to).length;
  const healthyPerSec = (count(warmupMs, crashAt) * 1000) / Math.max(1, crashAt - warmupMs);
  const after = times.filter((x) => x >= crashAt && x < until);
  const first = after[0] ?? until;
  const downPerSec = (after.length * 1000) / Math.max(1, until - crashAt);
  const gaps = after.slice(1).map((x, i) => x - after[i]!).sort((a, b) => b - a);
  return { healthyPerSec, downPerSec, firstBlockMs: first - crashAt, maxGapMs: gaps[0] ?? 0, nextGapMs: gaps[1] ?? 0, ...downBounds(run.node.tendermint, run.node, run.network.delayMaxMs) };
}
