import { describe, expect, it } from 'vitest';
import { runSeeds } from './helpers/sim.js';

/** Seeded simulator runs: agreement, valid commits, no double signing and liveness after GST, checked throughout. */
describe('simulator: honest validators and bad networks', () => {
  it('healthy-4', () => {
    runSeeds('healthy-4');
  });
  it('weighted-7, with validator-set changes', () => {
    runSeeds('weighted-7');
  });
  it('lossy-4: drops, duplicates, reordering', () => {
    runSeeds('lossy-4');
  });
  it('partition-5: partitions that heal', () => {
    expect(runSeeds('partition-5').synced).toBeGreaterThan(0);
  });
  it('crash-4: crashes (incl. after a WAL append and between sign and send) and restarts from WAL and signer state', () => {
    const a = runSeeds('crash-4');
    expect(a.restarts).toBeGreaterThan(0);
    expect(a.crashesSignedUnsent).toBeGreaterThan(0);
    expect(a.crashesAfterWal).toBeGreaterThan(0);
  });
  it('crash-lossy-wal-4: a WAL that loses its tail; the signer guard holds', () => {
    expect(runSeeds('crash-lossy-wal-4').signRefused).toBeGreaterThan(0);
  });
});
