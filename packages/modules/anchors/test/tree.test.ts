import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, inclusionPath, leafHash, merkleRoot, sha256 } from '@salus/core';
import { BatchTree, MerkleLevels, sortItems, verifyBatchInclusion, verifyNonInclusion, type NonInclusion } from '@salus/client';

/**
 * The batch tree: the RFC 9162 tree of core's merkle.ts (same root, same paths), kept by levels;
 * sorted and unique, so that an item's absence is proven by its two neighbours, and an item that is
 * there has no such proof, whatever pair of leaves a forger picks.
 */
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const items = (min: number, max: number) => fc.uniqueArray(hash32, { minLength: min, maxLength: max, selector: (b) => Buffer.from(b).toString('hex') });

describe('MerkleLevels', () => {
  it('has the root and the inclusion paths of RFC 9162 (core)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70 }), fc.nat(), (data, pick) => {
        const leaves = data.map(leafHash);
        const t = new MerkleLevels(leaves);
        expect(t.root).toEqual(merkleRoot(data));
        const i = pick % data.length;
        expect(t.path(i)).toEqual(inclusionPath(leaves, i));
      }),
    );
  });

  it('refuses an empty tree and indexes outside it', () => {
    expect(() => new MerkleLevels([])).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => new MerkleLevels([leafHash(new Uint8Array(1))]).path(1)).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
  });
});

describe('BatchTree', () => {
  it('proves every item it holds, at its sorted position', () => {
    fc.assert(
      fc.property(items(1, 60), (xs) => {
        const sorted = sortItems(xs);
        const t = new BatchTree(sorted);
        sorted.forEach((x, i) => {
          expect(t.search(x)).toBe(i);
          expect(verifyBatchInclusion(x, i, t.path(i), t.root, t.size)).toBe(true);
          expect(t.nonInclusion(x)).toBeUndefined();
        });
      }),
    );
  });

  it('proves the absence of any item it does not hold', () => {
    fc.assert(
      fc.property(items(1, 60), hash32, (xs, probe) => {
        fc.pre(!xs.some((x) => compareBytes(x, probe) === 0));
        const t = new BatchTree(sortItems(xs));
        const ev = t.nonInclusion(probe)!;
        expect(ev).toBeDefined();
        expect(verifyNonInclusion(probe, ev, t.root, t.size)).toBe(true);
        // the same evidence says nothing about a neighbour, or against another root or size
        if (ev.left) expect(verifyNonInclusion(ev.left.item, ev, t.root, t.size)).toBe(false);
        expect(verifyNonInclusion(probe, ev, sha256(t.root), t.size)).toBe(false);
        // after the last leaf: the left neighbour must be the last of the anchored size
        if (!ev.right) expect(verifyNonInclusion(probe, ev, t.root, t.size + 1)).toBe(false);
      }),
    );
  });

  it('binds a leaf to its position: its path verifies at no other index', () => {
    fc.assert(
      fc.property(items(1, 40), (xs) => {
        const sorted = sortItems(xs);
        const t = new BatchTree(sorted);
        sorted.forEach((x, i) => {
          for (let j = 0; j < sorted.length; j++) if (j !== i) expect(verifyBatchInclusion(x, j, t.path(i), t.root, t.size)).toBe(false);
        });
      }),
    );
  });

  it('has no absence proof for an item it holds: every pair of leaves a forger could pick fails', () => {
    fc.assert(
      fc.property(items(1, 24), fc.nat(), (xs, pick) => {
        const sorted = sortItems(xs);
        const t = new BatchTree(sorted);
        const target = sorted[pick % sorted.length]!;
        const n = (i: number) => ({ item: sorted[i]!, index: i, path: t.path(i) });
        const forgeries: NonInclusion[] = [{ left: n(sorted.length - 1) }, { right: n(0) }];
        for (let i = 0; i < sorted.length; i++) for (let j = 0; j < sorted.length; j++) forgeries.push({ left: n(i), right: n(j) });
        for (const f of forgeries) expect(verifyNonInclusion(target, f, t.root, t.size)).toBe(false);
      }),
    );
  });

  it('rejects evidence with a skipped leaf, a bad path or no neighbour', () => {
    const sorted = sortItems(Array.from({ length: 9 }, (_, i) => sha256(new Uint8Array([i]))));
    const t = new BatchTree(sorted);
    const n = (i: number) => ({ item: sorted[i]!, index: i, path: t.path(i) });
    // leaves 2 and 4 are not adjacent: the item may be leaf 3
    expect(verifyNonInclusion(sorted[3]!, { left: n(2), right: n(4) }, t.root, t.size)).toBe(false);
    expect(verifyNonInclusion(sorted[3]!, { left: { ...n(2), path: t.path(1) }, right: n(3) }, t.root, t.size)).toBe(false);
    expect(verifyNonInclusion(sorted[3]!, {}, t.root, t.size)).toBe(false);
    expect(verifyNonInclusion(new Uint8Array(31), { left: n(0) }, t.root, t.size)).toBe(false);
  });

  it('refuses leaves that are not sorted and unique', () => {
    const [a, b] = sortItems([sha256(new Uint8Array([1])), sha256(new Uint8Array([2]))]) as [Uint8Array, Uint8Array];
    expect(() => new BatchTree([b, a])).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => new BatchTree([a, a])).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(sortItems([b, a, b])).toEqual([a, b]);
  });
});
