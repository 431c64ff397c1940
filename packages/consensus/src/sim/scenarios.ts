import type { Validator } from '@salus/core';
import type { TendermintOptions } from '../tendermint/options.js';
import type { ByzantineMode } from './byzantine.js';
import { type RunView, downMetrics } from './metrics.js';
import type { NetworkOptions } from './network.js';
import type { Prng } from './prng.js';

/** What a scenario can do to the world while it runs (before GST). */
export interface FaultControl {
  readonly prng: Prng;
  readonly nodes: number;
  readonly honest: readonly number[];
  at(timeMs: number, what: () => void): void;
  partition(groups: number[][]): void;
  heal(): void;
  crash(node: number, opts?: { point?: 'now' | 'afterWal' | 'midEffects'; loseWalTail?: number }): void;
  restart(node: number): void;
  setNetwork(opts: Partial<NetworkOptions>): void;
  /** records a named time for the scenario's check (e.g. when a validator went down) */
  mark(name: string, timeMs: number): void;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** voting power of each node at height 1 */
  readonly powers: readonly number[];
  readonly byzantine?: Readonly<Record<number, ByzantineMode>>;
  readonly network: Partial<NetworkOptions>;
  /** heights every honest node must have committed for the run to end */
  readonly heights: number;
  /** Global Stabilisation Time range: faults happen before it, none after */
  readonly gstMs?: readonly [number, number];
  /** the validator set of a height (default: `powers` throughout) */
  readonly validatorsAt?: (height: number, base: readonly Validator[]) => readonly Validator[];
  /** schedules the faults of one run (all times < gst) */
  readonly faults?: (c: FaultControl, gstMs: number) => void;
  /** the nodes' consensus tunables for this scenario, over the simulator's defaults */
  readonly tendermint?: Partial<TendermintOptions>;
  /** numbers worth reporting about a finished run (the script prints their min, mean and max over seeds) */
  readonly metrics?: (run: RunView) => Readonly<Record<string, number>>;
  /** a check of the finished run beyond the invariants (a bound a mechanism promises): why it failed, or null */
  readonly check?: (run: RunView) => string | null;
}

/** One honest validator crashes at 1.0-1.4 s and stays down until GST. */
function oneDown(c: FaultControl): void {
  const t = c.prng.range(1000, 1400);
  const victim = c.prng.pick(c.honest);
  c.mark('crash', t);
  c.at(t, () => c.crash(victim));
}

/**
 * What the adaptive timeout promises with a validator down: the first block after the crash, and
 * the one wait on its first turn, within the ceiling's bound; every other wait within the short
 * timeout's bound; and at least half the pace (with 3 of 4 up, every quorum waits for the slowest
 * of the three, so some pace is lost even with no timeout at all).
 */
function checkDown(run: RunView): string | null {
  const m = downMetrics(run, run.marks.crash!);
  const f = (x: number) => x.toFixed(1);
  if (m.firstBlockMs > m.firstBlockBoundMs) return `first block ${m.firstBlockMs} ms after the crash, bound ${m.firstBlockBoundMs} ms`;
  if (m.maxGapMs > m.firstBlockBoundMs) return `a gap of ${m.maxGapMs} ms between blocks with a validator down, bound ${m.firstBlockBoundMs} ms`;
  if (m.nextGapMs > m.gapBoundMs) return `two gaps above ${m.gapBoundMs} ms between blocks with a validator down (${m.maxGapMs}, ${m.nextGapMs} ms): its turns are not skipped quickly`;
  if (m.downPerSec < 0.5 * m.healthyPerSec) return `${f(m.downPerSec)} heights/s with a validator down, ${f(m.healthyPerSec)} before: below half`;
  return null;
}

/** Random two-way partitions (half of them isolating one node), each lasting a while, until GST. */
function partitions(c: FaultControl, gst: number): void {
  for (let t = c.prng.range(100, 600); t < gst; t += c.prng.range(300, 1500)) {
    const groups: number[][] = [[], []];
    const alone = c.prng.chance(0.5) ? c.prng.int(c.nodes) : -1;
    for (let i = 0; i < c.nodes; i++) groups[alone < 0 ? c.prng.int(2) : i === alone ? 0 : 1]!.push(i);
    const until = Math.min(gst, t + c.prng.range(200, 1500));
    c.at(t, () => c.partition(groups));
    c.at(until, () => c.heal());
  }
}

/** Random crashes of honest nodes (any number at once: safety must hold regardless), restarted by GST. */
function crashes(c: FaultControl, gst: number, opts: { loseWalTail?: boolean } = {}): void {
  for (let t = c.prng.range(50, 400); t < gst; t += c.prng.range(50, 600)) {
    const node = c.prng.pick(c.honest);
    const point = c.prng.pick(['now', 'afterWal', 'midEffects'] as const);
    const loseWalTail = opts.loseWalTail && c.prng.chance(0.5) ? c.prng.range(1, 6) : 0;
    const back = Math.min(gst, t + c.prng.range(20, 1200));
    c.at(t, () => c.crash(node, { point, loseWalTail }));
    c.at(back, () => c.restart(node));
  }
}

const rotate = (height: number, base: readonly Validator[]): readonly Validator[] => {
  const k = Math.floor(height / 4) % base.length;
  return base.map((v, i) => ({ pubKey: v.pubKey, power: base[(i + k) % base.length]!.power }));
};

export const SCENARIOS: readonly Scenario[] = [
  { name: 'healthy-4', description: '4 equal validators, a quiet network', powers: [1, 1, 1, 1], network: { delayMinMs: 1, delayMaxMs: 20 }, heights: 8 },
  {
    name: 'weighted-7',
    description: '7 validators of unequal power, powers rotating every 4 heights (validator-set changes)',
    powers: [5, 3, 3, 2, 2, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 30 },
    heights: 8,
    validatorsAt: (h, base) => rotate(h, base),
  },
  {
    name: 'lossy-4',
    description: '4 validators; 20 % of packets dropped, 20 % duplicated, delays up to 120 ms (reordering)',
    powers: [1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 120, dropRate: 0.2, duplicateRate: 0.2 },
    heights: 6,
  },
  {
    name: 'partition-5',
    description: '5 validators, random partitions until GST, then healed',
    powers: [1, 1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 40, dropRate: 0.02 },
    heights: 4,
    gstMs: [1000, 4000],
    faults: partitions,
  },
  {
    name: 'crash-4',
    description: '4 validators crashing (now, after a WAL append, between sign and send) and restarting from WAL and signer state',
    powers: [1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 30 },
    heights: 5,
    gstMs: [1000, 4000],
    faults: (c, gst) => crashes(c, gst),
  },
  {
    name: 'crash-lossy-wal-4',
    description: 'crashes that also lose unsynced WAL entries: replay diverges and only the signer guard prevents double signing',
    powers: [1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 30 },
    heights: 5,
    gstMs: [1000, 4000],
    faults: (c, gst) => crashes(c, gst, { loseWalTail: true }),
  },
  {
    name: 'byz-equivocate-4',
    description: 'f = 1 of 4: an equivocating proposer splitting peers between two blocks, with votes to match',
    powers: [1, 1, 1, 1],
    byzantine: { 0: 'equivocate' },
    network: { delayMinMs: 1, delayMaxMs: 40 },
    heights: 8,
  },
  {
    name: 'byz-double-vote-4',
    description: 'f = 1 of 4: a validator signing two conflicting votes every time',
    powers: [1, 1, 1, 1],
    byzantine: { 1: 'double-vote' },
    network: { delayMinMs: 1, delayMaxMs: 40 },
    heights: 8,
  },
  {
    name: 'byz-amnesia-4',
    description: 'f = 1 of 4: a validator that ignores locks and votes for every proposal, to random halves of its peers',
    powers: [1, 1, 1, 1],
    byzantine: { 3: 'amnesia' },
    network: { delayMinMs: 1, delayMaxMs: 150, dropRate: 0.1 },
    heights: 4,
    gstMs: [3000, 6000],
    faults: partitions,
  },
  {
    name: 'byz-silent-4',
    description: 'f = 1 of 4: one validator withholds everything, another honest one crashes and restarts before GST',
    powers: [1, 1, 1, 1],
    byzantine: { 2: 'silent' },
    network: { delayMinMs: 1, delayMaxMs: 30 },
    heights: 5,
    gstMs: [500, 2000],
    faults: (c, gst) => crashes(c, gst),
  },
  {
    name: 'chaos-7',
    description: 'weighted 7: an equivocator (5 of 17) before GST meets partitions, drops and crashes',
    powers: [5, 3, 3, 2, 2, 1, 1],
    byzantine: { 0: 'equivocate' },
    network: { delayMinMs: 1, delayMaxMs: 60, dropRate: 0.05, duplicateRate: 0.05 },
    heights: 4,
    gstMs: [1000, 3000],
    faults: (c, gst) => {
      partitions(c, gst);
      crashes(c, gst);
    },
  },
  {
    name: 'withhold-7',
    description: 'weighted 7: a validator (power 3 of 17) never sends precommits, another double-votes (2): 5 < 17/3',
    powers: [5, 3, 3, 2, 2, 1, 1],
    byzantine: { 1: 'withhold-precommits', 3: 'double-vote' },
    network: { delayMinMs: 1, delayMaxMs: 40, dropRate: 0.05 },
    heights: 5,
  },
  {
    name: 'down-4',
    description: 'one of 4 validators crashes and stays down for ~40 heights: its turns are skipped quickly (adaptive propose timeout); first block and gaps within the bounds, pace kept',
    powers: [1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 20 },
    heights: 8,
    gstMs: [3500, 3500],
    faults: oneDown,
    metrics: (run) => {
      const m = downMetrics(run, run.marks.crash!);
      return { ...m, paceRatio: m.downPerSec / m.healthyPerSec };
    },
    check: checkDown,
  },
  {
    name: 'byz-equivocate-proposal-4',
    description: 'f = 1 of 4: a proposer signing two proposals per round, one to each half of its peers and both to one: it is caught (proposal evidence)',
    powers: [1, 1, 1, 1],
    byzantine: { 1: 'equivocate-proposals' },
    network: { delayMinMs: 1, delayMaxMs: 40 },
    heights: 12,
    check: (run) => (run.evidence.proposal > 0 ? null : 'no honest node reported the equivocating proposer'),
  },
  {
    name: 'parts-lossy-4',
    description: 'blocks in parts of 64 bytes (~5 per block) over a network dropping 20 % and duplicating 20 % of packets, part by part: missing parts asked for from any peer',
    powers: [1, 1, 1, 1],
    network: { delayMinMs: 1, delayMaxMs: 120, dropRate: 0.2, duplicateRate: 0.2 },
    heights: 6,
    tendermint: { blockPartBytes: 64 },
  },
  {
    name: 'byz-bad-parts-4',
    description: 'f = 1 of 4: a validator flipping a byte in every other block part (32 bytes, ~10 per block) it sends, its own or served, 5 % loss: bad parts fail their proof and are fetched again',
    powers: [1, 1, 1, 1],
    byzantine: { 2: 'corrupt-parts' },
    network: { delayMinMs: 1, delayMaxMs: 40, dropRate: 0.05 },
    heights: 6,
    tendermint: { blockPartBytes: 32 },
  },
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
