import { sha256 } from './hash.js';
import { compareBytes } from './bytes.js';
import { SalusError } from './errors.js';
import { type SmtNode, ZERO_HASH, smtInnerHash, smtLeafHash, smtPath } from './smt.js';

/**
 * Subtrees of the state tree (smt.ts) for state sync: a snapshot travels as the leaves under
 * positions of the tree (a position is a depth and the first `depth` bits of a path), and the
 * receiver rebuilds each subtree from its leaves: it is right only if it hashes to the hash the
 * parent recorded for that position, so every chunk is checked as it arrives.
 */
export interface SmtPosition {
  readonly depth: number;
  /** the first `depth` bits of the paths below, left-aligned in ceil(depth / 8) bytes, the other bits 0 */
  readonly prefix: Uint8Array;
}

export const SMT_ROOT_POSITION: SmtPosition = { depth: 0, prefix: new Uint8Array(0) };

export function smtBit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3]! >> (7 - (depth & 7))) & 1;
}

/** The position of a child: one bit more of prefix. */
export function smtChildPosition(p: SmtPosition, side: 0 | 1): SmtPosition {
  const prefix = new Uint8Array((p.depth >> 3) + 1);
  prefix.set(p.prefix.subarray(0, prefix.length));
  if (side === 1) prefix[p.depth >> 3]! |= 1 << (7 - (p.depth & 7));
  return { depth: p.depth + 1, prefix };
}

/** A position is well formed: depth below 256, prefix of the right length with no bits past the depth. */
export function smtPositionValid(p: SmtPosition): boolean {
  if (!Number.isSafeInteger(p.depth) || p.depth < 0 || p.depth >= 256 || p.prefix.length !== (p.depth + 7) >> 3) return false;
  const rest = p.depth & 7;
  return rest === 0 || (p.prefix[p.prefix.length - 1]! & (0xff >> rest)) === 0;
}

/** Whether `path` lies below the position. */
export function smtUnder(path: Uint8Array, p: SmtPosition): boolean {
  for (let d = 0; d < p.depth; d++) if (smtBit(path, d) !== smtBit(p.prefix, d)) return false;
  return true;
}

export interface SmtSubtreeNode {
  readonly hash: Uint8Array;
  readonly leaf: boolean;
  /** the store address given by `allocate` (0 for the empty subtree) */
  readonly ref: number;
}

export interface SmtSubtree extends SmtSubtreeNode {
  /** new nodes, children before parents, with their addresses */
  readonly created: { readonly ref: number; readonly node: SmtNode }[];
}

/**
 * Builds the compact subtree at `position` holding exactly these entries (keys distinct, all
 * below the position; otherwise BAD_SNAPSHOT): the same hashes smtApply makes for the whole tree,
 * from `position.depth` down. A position with one entry is that entry's leaf.
 */
export function smtBuildSubtree(entries: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[], position: SmtPosition, allocate: () => number = () => 0): SmtSubtree {
  const items = entries.map((e) => ({ path: smtPath(e.key), key: e.key, value: e.value }));
  items.sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 0; i < items.length; i++) {
    if (!smtUnder(items[i]!.path, position)) throw new SalusError('BAD_SNAPSHOT', `a snapshot entry lies outside the subtree it was sent for (depth ${position.depth})`);
    if (i > 0 && compareBytes(items[i - 1]!.path, items[i]!.path) === 0) throw new SalusError('BAD_SNAPSHOT', 'a snapshot chunk holds one key twice');
  }
  const created: { ref: number; node: SmtNode }[] = [];
  const EMPTY: SmtSubtreeNode = { hash: ZERO_HASH, leaf: false, ref: 0 };
  const build = (from: number, to: number, depth: number): SmtSubtreeNode => {
    if (from === to) return EMPTY;
    if (to - from === 1) {
      const it = items[from]!;
      const valueHash = sha256(it.value);
      const ref = allocate();
      created.push({ ref, node: { kind: 'leaf', path: it.path, valueHash, key: it.key, value: it.value } });
      return { hash: smtLeafHash(it.path, valueHash), leaf: true, ref };
    }
    let cut = from;
    while (cut < to && smtBit(items[cut]!.path, depth) === 0) cut++;
    const l = build(from, cut, depth + 1);
    const r = build(cut, to, depth + 1);
    // one side empty and the other a leaf: the leaf moves up (the compaction smtApply does)
    if (l === EMPTY && r.leaf) return r;
    if (r === EMPTY && l.leaf) return l;
    return smtInnerOf(l, r, allocate, created);
  };
  const top = build(0, items.length, position.depth);
  return { ...top, created };
}

/** An inner node over two children already made (the upper part of a restored tree). */
export function smtInnerOf(l: SmtSubtreeNode, r: SmtSubtreeNode, allocate: () => number, created: { ref: number; node: SmtNode }[]): SmtSubtreeNode {
  const ref = allocate();
  created.push({ ref, node: { kind: 'inner', left: l.hash, right: r.hash, leftRef: l.ref, rightRef: r.ref, leftLeaf: l.leaf, rightLeaf: r.leaf } });
  return { hash: smtInnerHash(l.hash, r.hash), leaf: false, ref };
}
