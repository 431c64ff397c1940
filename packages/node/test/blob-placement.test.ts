import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes, toHex } from '@salus/core';
import { blobHolders } from '@salus/records';

/** Blob placement by rendezvous hashing: deterministic, the right count, balanced, and stable when the set changes. */
describe('blobHolders', () => {
  const vals = Array.from({ length: 7 }, () => toHex(randomBytes(32)));

  it('picks `replicas` distinct validators, the same on every node whatever the order it lists them in (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 6 }), fc.shuffledSubarray(vals, { minLength: 7 }), (h, n, shuffled) => {
        const a = blobHolders(toHex(h), vals, n);
        expect(a).toHaveLength(n);
        expect(new Set(a).size).toBe(n);
        expect(blobHolders(toHex(h), shuffled, n)).toEqual(a);
      }),
    );
    expect(blobHolders('ab', vals, 0)).toEqual(vals); // 0: every node
    expect(blobHolders('ab', vals, 9)).toEqual(vals);
  });

  it('spreads blobs evenly and moves only the departed validator’s share when one leaves', () => {
    const counts = new Map(vals.map((v) => [v, 0]));
    const hashes = Array.from({ length: 3500 }, () => toHex(randomBytes(32)));
    for (const h of hashes) for (const v of blobHolders(h, vals, 2)) counts.set(v, counts.get(v)! + 1);
    for (const c of counts.values()) expect(c).toBeGreaterThan(700); // 1,000 each expected
    const gone = vals[3]!;
    const rest = vals.filter((v) => v !== gone);
    for (const h of hashes.slice(0, 500)) {
      const before = blobHolders(h, vals, 2);
      const after = blobHolders(h, rest, 2);
      for (const v of before) if (v !== gone) expect(after).toContain(v);
    }
  });
});
