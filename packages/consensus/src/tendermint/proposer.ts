import type { ValidatorSet } from './validators.js';

/**
 * Proposer selection: stateless, weighted, a pure function of (validator set, height, round).
 *
 * Slot k = height + round is mapped to a point of [0, 1) by the golden-ratio Weyl sequence
 * x_k = frac(k × φ⁻¹) (Fibonacci hashing, in 32-bit fixed point: k × 0x9E3779B9 mod 2³²), and the
 * proposer is the validator whose share of the total power — validators laid end to end in
 * public-key order — contains x_k. Properties:
 *  - each validator's frequency tends to its share of the power (discrepancy O(log k / k));
 *  - consecutive points are ≥ 0.381 apart, so a validator (or a run of adjacent validators) with
 *    less than 38.2 % of the power never proposes two slots in a row: a Byzantine validator with
 *    at most a third of the power cannot stall consecutive rounds;
 *  - no state to carry between heights (unlike CometBFT's proposer priorities), so replay, block
 *    sync and validator-set changes need nothing more than the set itself.
 */
const GOLDEN_32 = 0x9e3779b9;
const TWO_32 = 4294967296;

export function proposerIndex(set: ValidatorSet, height: number, round: number): number {
  const k = (height + round) % TWO_32;
  const x = Math.imul(k | 0, GOLDEN_32) >>> 0;
  // target = floor(x × total / 2³²), exact in BigInt whatever the total power.
  const target = Number((BigInt(x) * BigInt(set.totalPower)) >> 32n);
  let acc = 0;
  for (let i = 0; i < set.validators.length; i++) {
    acc += set.validators[i]!.power;
    if (target < acc) return i;
  }
  return set.validators.length - 1;
}

export function proposerOf(set: ValidatorSet, height: number, round: number): Uint8Array {
  return set.validators[proposerIndex(set, height, round)]!.pubKey;
}
