// The result of a localnet benchmark (records, fhir, private): its head, its figures against their
// targets, its load, and the file it is written to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './cli.js';
import type { NodeCrash, StopRecord } from './localnet.js';
import type { LoadMeter, LoadReport, Machine } from './machine.js';
import { round } from './stats.js';

/** One figure of a localnet benchmark: what was measured, against which target, and whether met (null: no target). */
export interface Figure {
  figure: string;
  target: string | null;
  measured: unknown;
  met: boolean | null;
  reference?: unknown;
}
export type Figures = Record<string, Figure>;

export interface LocalnetResult extends StopRecord {
  bench: string;
  description: string;
  machine: Machine;
  flags: object;
  setup: Record<string, unknown>;
  phases: Record<string, unknown>;
  figures?: Figures;
  validator_crashes?: NodeCrash[];
  load?: LoadReport;
  summary?: FigureSummary;
}

const CONSENSUS_OPTIONS =
  'FAST of packages/node/test/net-harness.ts: timeoutPropose 800 ms (+200/round), prevote/precommit 300 ms (+200/round), commitDelay 20 ms, emptyBlockWait 300 ms, gossip/sync status 300 ms; p2p backoff 100–1000 ms. NOT the production defaults.';

/**
 * The head of a localnet benchmark's result: { bench, description, machine, flags, setup, phases: {} },
 * setup being { validators: 4, organisations, ...setupHead, consensus_options (what FAST is), ...setup }.
 */
export function localnetResult(o: { bench: string; description: string; mach: Machine; flags: object; orgs: readonly string[]; setupHead?: Record<string, unknown>; setup: Record<string, unknown> }): LocalnetResult {
  return { bench: o.bench, description: o.description, machine: o.mach, flags: o.flags, setup: { validators: 4, organisations: o.orgs, ...o.setupHead, consensus_options: CONSENSUS_OPTIONS, ...o.setup }, phases: {} };
}

/**
 * Sets result.figures (`fig`, with a failed no_crash figure added when a validator crashed),
 * result.validator_crashes and result.load: the run's load meter stopped, counting the validators' CPU
 * (and `extraCpuS` of other children) as the benchmark's, with `note` and each validator's CPU seconds.
 */
export function setFiguresAndLoad(o: { result: LocalnetResult; fig: Figures; crashes: NodeCrash[]; meter: LoadMeter; validatorCpuS: number[]; extraCpuS?: number; note: string }): LoadReport {
  const { result, fig, crashes, meter, validatorCpuS, extraCpuS = 0, note } = o;
  if (crashes.length > 0) fig.no_crash = { figure: 'validators stay up', target: 'no crash', measured: crashes.map((c) => `node ${c.node} (${c.exit})`).join(', '), met: false };
  result.figures = fig;
  result.validator_crashes = crashes;
  const load = meter.stop((validatorCpuS.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) + extraCpuS) * 1000);
  load.note = note;
  load.validator_cpu_s = validatorCpuS.map((x) => round(x, 1));
  result.load = load;
  return load;
}

export interface FigureSummary {
  consensus: string;
  targets: Record<string, { target: string | null; measured: unknown; met: boolean | null }>;
  all_targets_met: boolean;
  missed: string[];
  [extra: string]: unknown;
}

/**
 * The summary of a localnet benchmark's figures: { consensus, ...beforeTargets, targets, ...afterTargets,
 * all_targets_met, missed } (the figures with a target: whether all are met, which are not).
 */
export function figureSummary(fig: Figures, beforeTargets: Record<string, unknown> = {}, afterTargets: Record<string, unknown> = {}): FigureSummary {
  const withTargets = Object.values(fig).filter((f) => f.met !== null);
  return {
    consensus: 'FAST timeouts (net-harness), 4 validator processes on loopback',
    ...beforeTargets,
    targets: Object.fromEntries(Object.entries(fig).map(([k, f]) => [k, { target: f.target, measured: f.measured, met: f.met }])),
    ...afterTargets,
    all_targets_met: withTargets.every((f) => f.met),
    missed: withTargets.filter((f) => !f.met).map((f) => f.figure),
  };
}

/** Writes `result` to <out>/<tag>.json and logs its figures as a Markdown table (stderr). */
export function writeResultFile(result: LocalnetResult, out: string, tag: string): void {
  const file = join(out, `${tag}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`[${tag}] wrote ${file}`);
  log('\n| figure | target | measured | met |\n|---|---|---|---|');
  for (const f of Object.values(result.figures ?? {})) log(`| ${f.figure} | ${f.target ?? '—'} | ${JSON.stringify(f.measured)} | ${f.met ?? '—'} |`);
}
