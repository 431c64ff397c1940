import { sha256 } from './hash.js';
import { bytesEqual, compareBytes, toHex } from './bytes.js';
import { SalusError } from './errors.js';

/**
 * The authenticated state: a compact sparse Merkle tree over SHA-256(key) paths (256 levels).
 * A subtree with no keys hashes to 32 zero bytes; a subtree with one key is that key's leaf, at
 * whatever depth it sits (so depth is ~log2(n), not 256); otherwise an interior node.
 *
 *   leaf     = SHA-256(0x00 || path || SHA-256(value))
 *   interior = SHA-256(0x01 || left || right)
 *
 * Proofs list the sibling hashes from the root down to where the key's path ends: at its own leaf
 * (membership), at an empty subtree, or at another key's leaf sharing the prefix (non-membership).
 * The tree logic is pure; nodes live in a store the caller provides (content addressed by hash).
 * Hand-written because no maintained library offers a sparse Merkle tree with pluggable
 * synchronous storage and non-membership proofs that also runs in the browser.
 */
export const ZERO_HASH = new Uint8Array(32);

export type SmtNode =
  | { readonly kind: 'leaf'; readonly path: Uint8Array; readonly valueHash: Uint8Array; readonly key: Uint8Array; readonly value: Uint8Array }
  | {
      readonly kind: 'inner';
      readonly left: Uint8Array;
      readonly right: Uint8Array;
      /** store addresses of the children, in a store that addresses nodes by reference (see SmtApplyOptions.allocate); 0 for an empty subtree */
      readonly leftRef?: number;
      readonly rightRef?: number;
      /** whether each child is a leaf, recorded so an untouched sibling is never read to learn it */
      readonly leftLeaf?: boolean;
      readonly rightLeaf?: boolean;
    };

export interface SmtNodeReader {
  /** The node stored under this hash (and, in a store that addresses nodes by reference, this reference); a missing node is corruption. */
  getNode(hash: Uint8Array, ref?: number): SmtNode | undefined;
}

export function smtPath(key: Uint8Array): Uint8Array {
  return sha256(key);
}

export function smtLeafHash(path: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0;
  buf.set(path, 1);
  buf.set(valueHash, 33);
  return sha256(buf);
}

export function smtInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3]! >> (7 - (depth & 7))) & 1;
}

function isZero(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

export interface SmtUpdate {
  readonly key: Uint8Array;
  /** undefined deletes the key */
  readonly value: Uint8Array | undefined;
}

export interface SmtCreated {
  readonly hash: Uint8Array;
  readonly node: SmtNode;
  /** the store address given by SmtApplyOptions.allocate */
  readonly ref?: number;
}

export interface SmtApplyOptions {
  /**
   * Gives each new node a store address. With it, inner nodes record their children's addresses
   * and kinds, nodes are read by address, and every node the batch replaces is reported in
   * `orphanedRefs` (even one re-made with the same content, which gets a new address); the store
   * can then append nodes in address order instead of indexing them by hash.
   */
  readonly allocate?: () => number;
  /** the address of `root` when nodes are addressed by reference */
  readonly rootRef?: number;
}

export interface SmtApplyResult {
  readonly root: Uint8Array;
  /** the new root's address (with SmtApplyOptions.allocate; 0 for the empty tree) */
  readonly rootRef: number;
  /** new nodes, children before parents */
  readonly created: SmtCreated[];
  /** hashes of nodes no longer reachable from the new root */
  readonly orphaned: Uint8Array[];
  /** addresses of the nodes this batch replaced (with SmtApplyOptions.allocate) */
  readonly orphanedRefs: number[];
}

interface PendingLeaf {
  path: Uint8Array;
  key: Uint8Array;
  value: Uint8Array | undefined;
  /** an existing leaf carried down unchanged */
  existing?: Uint8Array;
  existingRef?: number;
}

interface Sub {
  hash: Uint8Array;
  leaf: boolean;
  ref: number;
}

const EMPTY: Sub = { hash: ZERO_HASH, leaf: false, ref: 0 };

/** Applies a batch of updates to the tree with the given root; the last update of a key wins. */
export function smtApply(reader: SmtNodeReader, root: Uint8Array, updates: readonly SmtUpdate[], opts: SmtApplyOptions = {}): SmtApplyResult {
  const byPath = new Map<string, PendingLeaf>();
  for (const u of updates) {
    const path = smtPath(u.key);
    byPath.set(toHex(path), { path, key: u.key, value: u.value });
  }
  const pending = [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path));
  const created: SmtCreated[] = [];
  const orphaned: Uint8Array[] = [];
  const orphanedRefs: number[] = [];
  const { allocate } = opts;
  const byRef = allocate !== undefined;

  const load = (hash: Uint8Array, ref: number): SmtNode => {
    const n = reader.getNode(hash, byRef ? ref : undefined);
    if (!n) throw new SalusError('CORRUPT_DATA', `state tree node ${toHex(hash)} is missing`);
    return n;
  };

  const add = (hash: Uint8Array, node: SmtNode, leaf: boolean): Sub => {
    const ref = byRef ? allocate() : 0;
    created.push(byRef ? { hash, node, ref } : { hash, node });
    return { hash, leaf, ref };
  };

  const makeLeaf = (p: PendingLeaf): Sub => {
    if (p.existing) return { hash: p.existing, leaf: true, ref: p.existingRef ?? 0 };
    const value = p.value!;
    const valueHash = sha256(value);
    return add(smtLeafHash(p.path, valueHash), { kind: 'leaf', path: p.path, valueHash, key: p.key, value }, true);
  };

  const join = (l: Sub, r: Sub): Sub => {
    const lz = isZero(l.hash);
    const rz = isZero(r.hash);
    if (lz && rz) return EMPTY;
    if (lz && r.leaf) return r;
    if (rz && l.leaf) return l;
    const node: SmtNode = byRef
      ? { kind: 'inner', left: l.hash, right: r.hash, leftRef: l.ref, rightRef: r.ref, leftLeaf: l.leaf, rightLeaf: r.leaf }
      : { kind: 'inner', left: l.hash, right: r.hash };
    return add(smtInnerHash(l.hash, r.hash), node, false);
  };

  // Builds the subtree at `depth` holding exactly the given leaves (deletions already dropped).
  const build = (items: PendingLeaf[], depth: number): Sub => {
    if (items.length === 0) return EMPTY;
    if (items.length === 1) return makeLeaf(items[0]!);
    if (depth >= 256) throw new SalusError('CORRUPT_DATA', 'two keys share a 256-bit path');
    const cut = items.findIndex((it) => bit(it.path, depth) === 1);
    const lefts = cut === -1 ? items : items.slice(0, cut);
    const rights = cut === -1 ? [] : items.slice(cut);
    return join(build(lefts, depth + 1), build(rights, depth + 1));
  };

  const replacedBy = (hash: Uint8Array, ref: number, out: Sub): void => {
    if (byRef) {
      if (out.ref !== ref) orphanedRefs.push(ref);
    } else if (!bytesEqual(out.hash, hash)) orphaned.push(hash);
  };

  // `leaf` is the subtree's kind when the parent recorded it (undefined: read the node to learn it)
  const apply = (hash: Uint8Array, ref: number, leaf: boolean | undefined, depth: number, ups: PendingLeaf[]): Sub => {
    if (ups.length === 0) {
      if (isZero(hash)) return EMPTY;
      return { hash, ref, leaf: leaf ?? load(hash, ref).kind === 'leaf' };
    }
    if (isZero(hash)) return build(ups.filter((u) => u.value !== undefined), depth);
    const node = load(hash, ref);
    if (node.kind === 'leaf') {
      const replaced = ups.some((u) => bytesEqual(u.path, node.path));
      const items = ups.filter((u) => u.value !== undefined);
      if (!replaced) {
        items.push({ path: node.path, key: node.key, value: node.value, existing: hash, existingRef: ref });
        items.sort((a, b) => compareBytes(a.path, b.path));
      }
      const out = build(items, depth);
      // A leaf only pushed down beside new keys stays in the tree; it is orphaned only when replaced.
      if (replaced) replacedBy(hash, ref, out);
      return out;
    }
    const cut = ups.findIndex((u) => bit(u.path, depth) === 1);
    const lefts = cut === -1 ? ups : ups.slice(0, cut);
    const rights = cut === -1 ? [] : ups.slice(cut);
    const out = join(
      apply(node.left, node.leftRef ?? 0, node.leftLeaf, depth + 1, lefts),
      apply(node.right, node.rightRef ?? 0, node.rightLeaf, depth + 1, rights),
    );
    replacedBy(hash, ref, out);
    return out;
  };

  const result = apply(root, opts.rootRef ?? 0, undefined, 0, pending);
  if (byRef) return { root: result.hash, rootRef: result.ref, created, orphaned: [], orphanedRefs };
  // A node made again with the same content in this batch is live, whatever it replaced.
  const made = new Set(created.map((c) => toHex(c.hash)));
  return { root: result.hash, rootRef: 0, created, orphaned: orphaned.filter((h) => !made.has(toHex(h))), orphanedRefs };
}

export interface SmtProof {
  /** sibling hashes from the root downwards */
  readonly siblings: readonly Uint8Array[];
  /** the leaf where the path ends, if it ends at a leaf (own or another key's) */
  readonly leaf?: { readonly path: Uint8Array; readonly valueHash: Uint8Array };
}

export interface SmtLookup {
  readonly value: Uint8Array | undefined;
  readonly proof: SmtProof;
}

/** A key's value (or absence) and proof under `root`; `rootRef` is the root's address in a store that addresses nodes by reference. */
export function smtProve(reader: SmtNodeReader, root: Uint8Array, key: Uint8Array, rootRef?: number): SmtLookup {
  const path = smtPath(key);
  const siblings: Uint8Array[] = [];
  let hash = root;
  let ref = rootRef;
  for (let depth = 0; ; depth++) {
    if (isZero(hash)) return { value: undefined, proof: { siblings } };
    const node = reader.getNode(hash, ref);
    if (!node) throw new SalusError('CORRUPT_DATA', `state tree node ${toHex(hash)} is missing`);
    if (node.kind === 'leaf') {
      const own = bytesEqual(node.path, path);
      return { value: own ? node.value : undefined, proof: { siblings, leaf: { path: node.path, valueHash: node.valueHash } } };
    }
    if (bit(path, depth) === 0) {
      siblings.push(node.right);
      hash = node.left;
      ref = node.leftRef;
    } else {
      siblings.push(node.left);
      hash = node.right;
      ref = node.rightRef;
    }
  }
}

/**
 * Verifies a proof that `key` maps to `value` (or, with value undefined, is absent) under `root`.
 */
export function smtVerify(root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: SmtProof): boolean {
  const path = smtPath(key);
  const depth = proof.siblings.length;
  if (depth > 256) return false;
  let hash: Uint8Array;
  if (proof.leaf) {
    const { path: lp, valueHash } = proof.leaf;
    if (lp.length !== 32 || valueHash.length !== 32) return false;
    const own = bytesEqual(lp, path);
    if (value !== undefined) {
      if (!own || !bytesEqual(valueHash, sha256(value))) return false;
    } else {
      if (own) return false;
      // Another key's leaf may end our path only where the two paths share the prefix.
      for (let d = 0; d < depth; d++) if (bit(lp, d) !== bit(path, d)) return false;
    }
    hash = smtLeafHash(lp, valueHash);
  } else {
    if (value !== undefined) return false;
    hash = ZERO_HASH;
  }
  for (let d = depth - 1; d >= 0; d--) {
    const s = proof.siblings[d]!;
    if (s.length !== 32) return false;
    hash = bit(path, d) === 0 ? smtInnerHash(hash, s) : smtInnerHash(s, hash);
  }
  return bytesEqual(hash, root);
}
