import { describe, expect, it } from 'vitest';
import { DEFAULT_MULTICHAIN, runMultiChain, type MultiChainOptions } from '../src/index.js';

/**
 * The multi-chain simulation, seeded: chains with their own validators (block times from the seeded
 * consensus simulator), custody transfers between them through the channels module's real handlers,
 * and a faulty relayer (skipped rounds, duplicated and forged packets, outages long enough for
 * packets to time out). Asserts the protocol's promises, not speed: every sent packet is received
 * exactly once or refunded, never both; no item is held on two chains at once, and each ends held
 * on exactly one; the relayer's duplicates and forgeries are refused by their codes.
 */
const OPTIONS: Omit<MultiChainOptions, 'chains' | 'seed'> = {
  ...DEFAULT_MULTICHAIN,
  durationMs: 1_500,
  itemsPerChain: 60,
  crossFraction: 0.2,
  timeoutBlocks: 6,
  faults: { skip: 0.1, duplicate: 0.1, forge: 0.05, outageMs: 1_500 },
  consensusHeights: 16,
};

describe('channels between simulated chains', () => {
  for (const seed of [3, 11]) {
    it(`keeps every packet received once or refunded and every item on one chain (seed ${seed})`, () => {
      const r = runMultiChain({ ...OPTIONS, chains: 4, seed });
      expect(r.violations).toEqual([]);
      expect(r.transfers.sent).toBeGreaterThan(50);
      expect(r.transfers.received + r.transfers.refunded).toBe(r.transfers.sent);
      expect(r.transfers.refunded).toBeGreaterThan(0);
      expect(r.refused.PACKET_REPLAYED).toBeGreaterThan(0);
      expect(r.refused.BAD_PROOF).toBeGreaterThan(0);
    });
  }

  it('is a function of its seed', () => {
    const a = runMultiChain({ ...OPTIONS, chains: 2, seed: 5 });
    const b = runMultiChain({ ...OPTIONS, chains: 2, seed: 5 });
    expect(b).toEqual(a);
    expect(a.violations).toEqual([]);
  });

  it('runs one chain alone with no transfers', () => {
    const r = runMultiChain({ ...OPTIONS, chains: 1, seed: 1 });
    expect(r.transfers.sent).toBe(0);
    expect(r.committedTxs).toBeGreaterThan(0);
    expect(r.violations).toEqual([]);
  });
});
