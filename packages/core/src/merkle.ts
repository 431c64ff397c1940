import { sha256 } from './hash.js';
import { bytesEqual, isBytes } from './bytes.js';
import { SalusError } from './errors.js';

/**
 * Merkle trees as RFC 9162 §2.1 (Certificate Transparency v2): leaf hash SHA-256(0x00 || d),
 * interior SHA-256(0x01 || left || right), the split at the largest power of two below n.
 * Written here because the algorithms are short, fixed by the RFC and must run in the browser;
 * the published vectors are in the tests.
 */
const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);
export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** Every hash a verifier is handed must be exactly 32 bytes: nodeHash would silently truncate or zero-pad otherwise. */
function allHashes(hashes: readonly unknown[]): boolean {
  return Array.isArray(hashes) && hashes.every((h) => isBytes(h, 32));
}

export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length);
  buf.set(LEAF, 0);
  buf.set(data, 1);
  return sha256(buf);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf.set(NODE, 0);
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

/** Largest power of two strictly less than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

export function rootFromLeafHashes(leaves: readonly Uint8Array[], start = 0, end = leaves.length): Uint8Array {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start]!;
  const k = split(n);
  return nodeHash(rootFromLeafHashes(leaves, start, start + k), rootFromLeafHashes(leaves, start + k, end));
}

export function merkleRoot(data: readonly Uint8Array[]): Uint8Array {
  return rootFromLeafHashes(data.map(leafHash));
}

export interface InclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly path: readonly Uint8Array[];
}

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1, over precomputed leaf hashes. */
export function inclusionPath(leaves: readonly Uint8Array[], m: number, start = 0, end = leaves.length): Uint8Array[] {
  const n = end - start;
  if (m < 0 || m >= n) throw new SalusError('INVALID_FIELD', `leaf index ${m} outside tree of size ${n}`);
  if (n === 1) return [];
  const k = split(n);
  if (m < k) return [...inclusionPath(leaves, m, start, start + k), rootFromLeafHashes(leaves, start + k, end)];
  return [...inclusionPath(leaves, m - k, start + k, end), rootFromLeafHashes(leaves, start, start + k)];
}

export function inclusionProof(leaves: readonly Uint8Array[], leafIndex: number): InclusionProof {
  return { leafIndex, treeSize: leaves.length, path: inclusionPath(leaves, leafIndex) };
}

/** RFC 9162 §2.1.3.2: the root that an inclusion proof implies for a leaf hash, or undefined if malformed. */
export function rootFromInclusion(leaf: Uint8Array, proof: InclusionProof): Uint8Array | undefined {
  const { leafIndex, treeSize, path } = proof;
  if (!isBytes(leaf, 32) || !allHashes(path)) return undefined;
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return undefined;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(leaf: Uint8Array, proof: InclusionProof, root: Uint8Array): boolean {
  const r = rootFromInclusion(leaf, proof);
  return r !== undefined && bytesEqual(r, root);
}

/** PROOF(m, D[n]) of RFC 9162 §2.1.4.1. */
export function consistencyProof(leaves: readonly Uint8Array[], m: number, n = leaves.length): Uint8Array[] {
  if (m < 1 || m > n || n > leaves.length) throw new SalusError('INVALID_FIELD', `no consistency proof from ${m} to ${n}`);
  if (m === n) return [];
  return subproof(leaves, m, 0, n, true);
}

function subproof(leaves: readonly Uint8Array[], m: number, start: number, end: number, b: boolean): Uint8Array[] {
  const n = end - start;
  if (m === n) return b ? [] : [rootFromLeafHashes(leaves, start, end)];
  const k = split(n);
  if (m <= k) return [...subproof(leaves, m, start, start + k, b), rootFromLeafHashes(leaves, start + k, end)];
  return [...subproof(leaves, m - k, start + k, end, false), rootFromLeafHashes(leaves, start, start + k)];
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 1 || size1 > size2) return false;
  if (!isBytes(root1, 32) || !isBytes(root2, 32) || !allHashes(proof)) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  let path = [...proof];
  if (path.length === 0) return false;
  // If first is an exact power of two, prepend first_hash to the consistency path.
  if ((size1 & (size1 - 1)) === 0) path = [root1, ...path];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
