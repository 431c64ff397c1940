import { describe, expect, it } from 'vitest';
import { scenarioByName } from '../src/index.js';
import { runSeeds } from './helpers/sim.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('simulator: degraded mode, proposer equivocation, block parts', () => {
  it('down-4: a validator down for ~40 heights is skipped quickly, within the bounds the adaptive timeout promises', () => {
    const agg = runSeeds('down-4', 8);
    const pace = mean(agg.metrics.map((m) => m.paceRatio!));
    // the same runs with the configured timeouts only: every turn of the dead proposer waits the full timeout
    const plain = scenarioByName('down-4')!;
    const fixed = runSeeds('down-4', 8, [], { check: undefined, tendermint: { timeoutProposeAdaptive: false }, metrics: plain.metrics });
    expect(pace).toBeGreaterThan(mean(fixed.metrics.map((m) => m.paceRatio!)) + 0.1);
    expect(Math.max(...agg.metrics.map((m) => m.nextGapMs!))).toBeLessThan(Math.min(...fixed.metrics.map((m) => m.nextGapMs!)));
  });
  it('byz-equivocate-proposal-4: a proposer signing two proposals per round is caught', () => {
    expect(runSeeds('byz-equivocate-proposal-4', 20).proposalEvidence).toBeGreaterThan(0);
  });
  it('parts-lossy-4: blocks travel in parts over a lossy, duplicating network; missing parts are fetched again', () => {
    expect(runSeeds('parts-lossy-4', 20).partRequests).toBeGreaterThan(0);
  });
  it('byz-bad-parts-4: corrupted parts fail their proof and the blocks still arrive', () => {
    expect(runSeeds('byz-bad-parts-4', 20).badParts).toBeGreaterThan(0);
  });
});
