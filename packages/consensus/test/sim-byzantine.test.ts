import { describe, expect, it } from 'vitest';
import { runSeeds } from './helpers/sim.js';

describe('simulator: Byzantine validators (power below a third)', () => {
  it('byz-equivocate-4: an equivocating proposer, f = 1 of 4', () => {
    expect(runSeeds('byz-equivocate-4').evidence).toBeGreaterThan(0);
  });
  it('byz-double-vote-4: a double voter, f = 1 of 4', () => {
    expect(runSeeds('byz-double-vote-4').evidence).toBeGreaterThan(0);
  });
  it('byz-amnesia-4: a lock-ignoring voter amid partitions', () => {
    runSeeds('byz-amnesia-4');
  });
  it('byz-silent-4: a silent validator while another crashes', () => {
    runSeeds('byz-silent-4');
  });
  it('chaos-7: a heavy equivocator with partitions, drops and crashes', () => {
    runSeeds('chaos-7');
  });
  it('withhold-7: a precommit-withholder and a double voter together', () => {
    runSeeds('withhold-7');
  });
});
