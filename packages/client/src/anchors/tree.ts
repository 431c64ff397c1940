import { SalusError, compareBytes, isBytes, leafHash, nodeHash, verifyInclusion } from '@salus/core';

/**
 * The Merkle trees of anchoring, RFC 9162 (core's merkle.ts): a leaf is SHA-256(0x00 ‖ item hash).
 * Built level by level, an unpaired last node promoted unchanged, which gives the RFC's tree (its
 * split at the largest power of two) with every level kept: a path is then read in O(log n) instead
 * of rehashing subtrees per proof. Levels are flat byte arrays (32 bytes a node), so a batch of
 * 65,536 items costs about 4 MiB, not a million small objects.
 */
export class MerkleLevels {
  private readonly levels: Uint8Array[];
  readonly size: number;

  constructor(leafHashes: readonly Uint8Array[]) {
    this.size = leafHashes.length;
    if (this.size === 0) throw new SalusError('INVALID_FIELD', 'a tree needs at least one leaf');
    const first = new Uint8Array(this.size * 32);
    leafHashes.forEach((h, i) => first.set(h, i * 32));
    this.levels = [first];
    for (let level = first, n = this.size; n > 1; ) {
      const m = Math.ceil(n / 2);
      const next = new Uint8Array(m * 32);
      for (let i = 0; i + 1 < n; i += 2) next.set(nodeHash(level.subarray(i * 32, i * 32 + 32), level.subarray(i * 32 + 32, i * 32 + 64)), (i / 2) * 32);
      if (n % 2 === 1) next.set(level.subarray((n - 1) * 32, n * 32), (m - 1) * 32);
      this.levels.push(next);
      level = next;
      n = m;
    }
  }

  get root(): Uint8Array {
    return this.levels[this.levels.length - 1]!.slice(0, 32);
  }

  /** The RFC 9162 inclusion path of leaf `index`, leaf to root. */
  path(index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new SalusError('INVALID_FIELD', `leaf index ${index} outside a tree of ${this.size}`);
    const out: Uint8Array[] = [];
    let i = index;
    for (let l = 0, n = this.size; n > 1; l++, n = Math.ceil(n / 2)) {
      const sibling = i ^ 1;
      if (sibling < n) out.push(this.levels[l]!.slice(sibling * 32, sibling * 32 + 32));
      i >>= 1;
    }
    return out;
  }
}

/** Item hashes in ascending byte order, each once: the order of a batch's leaves. */
export function sortItems(items: readonly Uint8Array[]): Uint8Array[] {
  const sorted = [...items].sort(compareBytes);
  return sorted.filter((h, i) => i === 0 || compareBytes(sorted[i - 1]!, h) !== 0);
}

/** An item next to where an absent one would be, with its path: half of a proof of absence. */
export interface Neighbour {
  readonly item: Uint8Array;
  readonly index: number;
  readonly path: readonly Uint8Array[];
}

/**
 * Evidence that an item is not in a sorted batch: the two adjacent leaves it would sit between (or
 * the first leaf, when it would come first; the last, when last). With the batch's root and size
 * from the ledger, anyone checks it; the same pair in a batch that is not sorted proves that the
 * node broke the rule it anchors by, which is as much its fault.
 */
export interface NonInclusion {
  readonly left?: Neighbour;
  readonly right?: Neighbour;
}

/**
 * A batch's tree: its items sorted and unique, so that an item's absence is provable by its
 * neighbours (Certificate Transparency's trees are append-ordered and cannot do this).
 */
export class BatchTree {
  private readonly tree: MerkleLevels;

  /** `sorted`: item hashes in ascending order, each once (as `sortItems` returns them); checked. */
  constructor(private readonly sorted: readonly Uint8Array[]) {
    for (let i = 1; i < sorted.length; i++) {
      if (compareBytes(sorted[i - 1]!, sorted[i]!) >= 0) throw new SalusError('INVALID_FIELD', 'batch items must be sorted and unique');
    }
    this.tree = new MerkleLevels(sorted.map(leafHash));
  }

  get root(): Uint8Array {
    return this.tree.root;
  }

  get size(): number {
    return this.sorted.length;
  }

  item(index: number): Uint8Array {
    return this.sorted[index]!;
  }

  /** Where `item` is, or where it would be inserted as -(position + 1) (binary search). */
  search(item: Uint8Array): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.sorted[mid]!, item);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -(lo + 1);
  }

  path(index: number): Uint8Array[] {
    return this.tree.path(index);
  }

  /** The evidence that `item` is absent, or undefined when it is in the batch. */
  nonInclusion(item: Uint8Array): NonInclusion | undefined {
    const at = this.search(item);
    if (at >= 0) return undefined;
    const pos = -at - 1;
    const n = (i: number): Neighbour => ({ item: this.sorted[i]!, index: i, path: this.path(i) });
    return { ...(pos > 0 ? { left: n(pos - 1) } : {}), ...(pos < this.size ? { right: n(pos) } : {}) };
  }
}

/** Is `item` leaf `index` of the tree with this root and size? */
export function verifyBatchInclusion(item: Uint8Array, index: number, path: readonly Uint8Array[], root: Uint8Array, count: number): boolean {
  return isBytes(item, 32) && verifyInclusion(leafHash(item), { leafIndex: index, treeSize: count, path }, root);
}

/** Does the evidence show that `item` is not where a sorted batch of this root and size would hold it? */
export function verifyNonInclusion(item: Uint8Array, ev: NonInclusion, root: Uint8Array, count: number): boolean {
  const { left, right } = ev;
  if (!isBytes(item, 32) || !Number.isSafeInteger(count) || count < 1 || (!left && !right)) return false;
  const holds = (n: Neighbour) => verifyBatchInclusion(n.item, n.index, n.path, root, count);
  if (left && !(compareBytes(left.item, item) < 0 && holds(left))) return false;
  if (right && !(compareBytes(item, right.item) < 0 && holds(right))) return false;
  if (left && right) return right.index === left.index + 1;
  if (left) return left.index === count - 1;
  return right!.index === 0;
}
