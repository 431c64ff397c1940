import { expect } from 'vitest';
import { type Scenario, type SimResult, runSimulation, scenarioByName } from '../../src/index.js';
import { nativeEd25519 } from './native-ed25519.js';

/** Seeds per scenario in the test suite (the script runs thousands). */
export const SEEDS = 30;

export interface Aggregate {
  runs: number;
  evidence: number;
  signRefused: number;
  synced: number;
  restarts: number;
  crashesSignedUnsent: number;
  crashesAfterWal: number;
  proposalEvidence: number;
  partRequests: number;
  badParts: number;
  /** each run's scenario metrics */
  metrics: Readonly<Record<string, number>>[];
}

/** Runs seeds 1..n of a scenario (plus `extra` regression seeds); fails with the seed, the violation, the trace and the replay command. */
export function runSeeds(name: string, n = SEEDS, extra: readonly number[] = [], change: Partial<Scenario> = {}): Aggregate {
  const found = scenarioByName(name);
  expect(found, `scenario ${name}`).toBeDefined();
  const scenario: Scenario = { ...found!, ...change };
  const agg: Aggregate = { runs: 0, evidence: 0, signRefused: 0, synced: 0, restarts: 0, crashesSignedUnsent: 0, crashesAfterWal: 0, proposalEvidence: 0, partRequests: 0, badParts: 0, metrics: [] };
  for (const seed of [...Array.from({ length: n }, (_, i) => i + 1), ...extra]) {
    const r: SimResult = runSimulation(scenario, seed, { ed25519: nativeEd25519 });
    if (!r.ok) {
      const v = r.violation!;
      expect.fail(`${name} seed ${seed}: [${v.invariant}] ${v.message} at ${v.atMs} ms\n${r.trace.join('\n')}\nreplay: ${r.replay}`);
    }
    agg.runs++;
    agg.evidence += r.totals.evidence;
    agg.signRefused += r.totals.signRefused;
    agg.synced += r.totals.synced;
    agg.restarts += r.totals.restarts;
    agg.crashesSignedUnsent += r.totals.crashesSignedUnsent;
    agg.crashesAfterWal += r.totals.crashesAfterWal;
    agg.proposalEvidence += r.totals.proposalEvidence;
    agg.partRequests += r.totals.partRequests;
    agg.badParts += r.totals.badParts;
    agg.metrics.push(r.metrics);
  }
  return agg;
}
