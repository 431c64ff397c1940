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
  | { readonly kind: 'inner'; readonly left: Uint8Array; readonly right: Uint8Array };

export interface SmtNodeReader {
  /** The node stored under this hash; a missing node is corruption. */
  getNode(hash: Uint8Array): SmtNode | undefined;
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

export interface SmtUpdate {
  readonly key: Uint8Array;
  /** undefined deletes the key */
  readonly value: Uint8Array | undefined;
}

export interface SmtApplyResult {
  readonly root: Uint8Array;
  /** new nodes by hex hash */
  readonly created: Map<string, { hash: Uint8Array; node: SmtNode }>;
  /** hashes of nodes no longer reachable from the new root */
  readonly orphaned: Uint8Array[];
}

interface PendingLeaf {
  path: Uint8Array;
  key: Uint8Array;
  value: Uint8Array | undefined;
  /** an existing leaf carried down unchanged */
  existing?: Uint8Array;
}

interface Sub {
  hash: Uint8Array;
  leaf: boolean;
}

const EMPTY: Sub = { hash: ZERO_HASH, leaf: false };

/** Applies a batch of updates to the tree with the given root; the last update of a key wins. */
export function smtApply(reader: SmtNodeReader, root: Uint8Array, updates: readonly SmtUpdate[]): SmtApplyResult {
  const byPath = new Map<string, PendingLeaf>();
  for (const u of updates) {
    const path = smtPath(u.key);
    byPath.set(toHex(path), { path, key: u.key, value: u.value });
  }
  const pending = [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path));
  const created = new Map<string, { hash: Uint8Array; node: SmtNode }>();
  const orphaned: Uint8Array[] = [];

  const load = (hash: Uint8Array): SmtNode => {
    const n = created.get(toHex(hash))?.node ?? reader.getNode(hash);
    if (!n) throw new SalusError('CORRUPT_DATA', `state tree node ${toHex(hash)} is missing`);
    return n;
  };

  const makeLeaf = (p: PendingLeaf): Sub => {
    if (p.existing) return { hash: p.existing, leaf: true };
    const value = p.value!;
    const valueHash = sha256(value);
    const hash = smtLeafHash(p.path, valueHash);
    created.set(toHex(hash), { hash, node: { kind: 'leaf', path: p.path, valueHash, key: p.key, value } });
    return { hash, leaf: true };
  };

  const join = (l: Sub, r: Sub): Sub => {
    const lz = bytesEqual(l.hash, ZERO_HASH);
    const rz = bytesEqual(r.hash, ZERO_HASH);
    if (lz && rz) return EMPTY;
    if (lz && r.leaf) return r;
    if (rz && l.leaf) return l;
    const hash = smtInnerHash(l.hash, r.hash);
    created.set(toHex(hash), { hash, node: { kind: 'inner', left: l.hash, right: r.hash } });
    return { hash, leaf: false };
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

  const apply = (hash: Uint8Array, depth: number, ups: PendingLeaf[]): Sub => {
    if (ups.length === 0) {
      if (bytesEqual(hash, ZERO_HASH)) return EMPTY;
      return { hash, leaf: load(hash).kind === 'leaf' };
    }
    if (bytesEqual(hash, ZERO_HASH)) return build(ups.filter((u) => u.value !== undefined), depth);
    const node = load(hash);
    if (node.kind === 'leaf') {
      const replaced = ups.some((u) => bytesEqual(u.path, node.path));
      const items = ups.filter((u) => u.value !== undefined);
      if (!replaced) {
        items.push({ path: node.path, key: node.key, value: node.value, existing: hash });
        items.sort((a, b) => compareBytes(a.path, b.path));
      }
      const out = build(items, depth);
      // A leaf only pushed down beside new keys stays in the tree; it is orphaned only when replaced.
      if (replaced && !bytesEqual(out.hash, hash)) orphaned.push(hash);
      return out;
    }
    const cut = ups.findIndex((u) => bit(u.path, depth) === 1);
    const lefts = cut === -1 ? ups : ups.slice(0, cut);
    const rights = cut === -1 ? [] : ups.slice(cut);
    const out = join(apply(node.left, depth + 1, lefts), apply(node.right, depth + 1, rights));
    if (!bytesEqual(out.hash, hash)) orphaned.push(hash);
    return out;
  };

  const result = apply(root, 0, pending);
  // A node made again with the same content in this batch is live, whatever it replaced.
  return { root: result.hash, created, orphaned: orphaned.filter((h) => !created.has(toHex(h))) };
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

export function smtProve(reader: SmtNodeReader, root: Uint8Array, key: Uint8Array): SmtLookup {
  const path = smtPath(key);
  const siblings: Uint8Array[] = [];
  let hash = root;
  for (let depth = 0; ; depth++) {
    if (bytesEqual(hash, ZERO_HASH)) return { value: undefined, proof: { siblings } };
    const node = reader.getNode(hash);
    if (!node) throw new SalusError('CORRUPT_DATA', `state tree node ${toHex(hash)} is missing`);
    if (node.kind === 'leaf') {
      const own = bytesEqual(node.path, path);
      return { value: own ? node.value : undefined, proof: { siblings, leaf: { path: node.path, valueHash: node.valueHash } } };
    }
    if (bit(path, depth) === 0) {
      siblings.push(node.right);
      hash = node.left;
    } else {
      siblings.push(node.left);
      hash = node.right;
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
