import type { Validator } from '@salus/core';
import type { ByzantineMode } from './byzantine.js';
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
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
