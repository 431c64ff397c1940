import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  type InclusionProof,
  consistencyProof,
  fromHex,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  rootFromInclusion,
  rootFromLeafHashes,
  sha256,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';

/**
 * RFC 9162 (CT v2) Merkle trees against the Certificate Transparency reference vectors: the
 * 8-leaf tree and the inclusion/consistency proofs of the CT reference implementations
 * (transparency-dev/merkle proof/verify_test.go, inherited from certificate-transparency-go and
 * the C++ log's merkle_tree_test.cc), then properties over random trees of 1..300 leaves.
 */

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => fromHex(h));

/** Root of the tree of the first n CT leaves, n = 1..8. */
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SOME_HASH = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456', 32);

/** The reference vectors use 1-based leaf numbers; converted to our 0-based index here. */
const CT_INCLUSION: { leaf: number; size: number; path: string[] }[] = [
  {
    leaf: 1,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CT_CONSISTENCY: { size1: number; size2: number; path: string[] }[] = [
  { size1: 1, size2: 1, path: [] },
  {
    size1: 1,
    size2: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    path: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    path: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    size1: 6,
    size2: 7,
    path: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const hex = (xs: readonly Uint8Array[]) => xs.map(toHex);
/** A hash cut short or padded with zeros to another length: the same leading bytes, but no longer a hash. */
const resized = (h: Uint8Array, len: number) => {
  const out = new Uint8Array(len);
  out.set(h.subarray(0, len));
  return out;
};
const ctLeafHashes = CT_LEAVES.map(leafHash);
const ctRoot = (n: number) => fromHex(CT_ROOTS[n - 1]!, 32);
const WRONG = new TextEncoder().encode('WrongRoot');

/**
 * The corruptions transparency-dev/merkle's verifier test applies to each known-good inclusion
 * proof (corruptInclusionProof): none may verify.
 */
function corruptInclusion(p: InclusionProof, root: Uint8Array, leaf: Uint8Array): { desc: string; leaf: Uint8Array; proof: InclusionProof; root: Uint8Array }[] {
  const { leafIndex: i, treeSize: n, path } = p;
  const probes = [
    { desc: 'leafIndex - 1', leaf, proof: { leafIndex: i - 1, treeSize: n, path }, root },
    { desc: 'leafIndex + 1', leaf, proof: { leafIndex: i + 1, treeSize: n, path }, root },
    { desc: 'leafIndex ^ 2', leaf, proof: { leafIndex: i ^ 2, treeSize: n, path }, root },
    { desc: 'treeSize * 2', leaf, proof: { leafIndex: i, treeSize: n * 2, path }, root },
    { desc: 'treeSize / 2', leaf, proof: { leafIndex: i, treeSize: Math.floor(n / 2), path }, root },
    { desc: 'wrong leaf', leaf: new TextEncoder().encode('WrongLeaf'), proof: p, root },
    { desc: 'empty root', leaf, proof: p, root: fromHex(SHA256_EMPTY, 32) },
    { desc: 'random root', leaf, proof: p, root: SOME_HASH },
    { desc: 'trailing garbage', leaf, proof: { ...p, path: [...path, new Uint8Array(0)] }, root },
    { desc: 'trailing root', leaf, proof: { ...p, path: [...path, root] }, root },
    { desc: 'preceding garbage', leaf, proof: { ...p, path: [new Uint8Array(0), ...path] }, root },
    { desc: 'preceding root', leaf, proof: { ...p, path: [root, ...path] }, root },
  ];
  path.forEach((_, k) => {
    const wrong = path.map((h) => h.slice());
    wrong[k]![0]! ^= 8;
    probes.push({ desc: `modified proof[${k}] bit 3`, leaf, proof: { ...p, path: wrong }, root });
  });
  if (path.length > 0) probes.push({ desc: 'removed component', leaf, proof: { ...p, path: path.slice(0, -1) }, root });
  if (path.length > 1) probes.push({ desc: 'inserted component', leaf, proof: { ...p, path: [path[0]!, SOME_HASH, ...path.slice(1)] }, root });
  return probes;
}

/** transparency-dev/merkle's corruptConsistencyProof. */
function corruptConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]) {
  const probes: { desc: string; size1: number; size2: number; root1: Uint8Array; root2: Uint8Array; proof: Uint8Array[] }[] = [
    { desc: 'size1 - 1', size1: size1 - 1, size2, root1, root2, proof },
    { desc: 'size1 + 1', size1: size1 + 1, size2, root1, root2, proof },
    { desc: 'size1 ^ 2', size1: size1 ^ 2, size2, root1, root2, proof },
    { desc: 'size2 * 2', size1, size2: size2 * 2, root1, root2, proof },
    { desc: 'size2 / 2', size1, size2: Math.floor(size2 / 2), root1, root2, proof },
    { desc: 'wrong root1', size1, size2, root1: WRONG, root2, proof },
    { desc: 'wrong root2', size1, size2, root1, root2: WRONG, proof },
    { desc: 'swapped roots', size1, size2, root1: root2, root2: root1, proof },
    { desc: 'empty proof', size1, size2, root1, root2, proof: [] },
    { desc: 'trailing garbage', size1, size2, root1, root2, proof: [...proof, new Uint8Array(0)] },
    { desc: 'trailing root1', size1, size2, root1, root2, proof: [...proof, root1] },
    { desc: 'trailing root2', size1, size2, root1, root2, proof: [...proof, root2] },
    { desc: 'preceding garbage', size1, size2, root1, root2, proof: [new Uint8Array(0), ...proof] },
    { desc: 'preceding root1', size1, size2, root1, root2, proof: [root1, ...proof] },
    { desc: 'preceding root2', size1, size2, root1, root2, proof: [root2, ...proof] },
    { desc: 'preceding proof[0]', size1, size2, root1, root2, proof: [proof[0]!, ...proof] },
  ];
  if (proof.length > 0) probes.push({ desc: 'truncated proof', size1, size2, root1, root2, proof: proof.slice(0, -1) });
  proof.forEach((_, k) => {
    const wrong = proof.map((h) => h.slice());
    wrong[k]![0]! ^= 16;
    probes.push({ desc: `modified proof[${k}] bit 4`, size1, size2, root1, root2, proof: wrong });
  });
  return probes;
}

describe('RFC 9162 Merkle trees: Certificate Transparency reference vectors', () => {
  it('the empty tree has root SHA-256("")', () => {
    expect(toHex(EMPTY_ROOT)).toBe(SHA256_EMPTY);
    expect(toHex(sha256(new Uint8Array(0)))).toBe(SHA256_EMPTY);
    expect(toHex(merkleRoot([]))).toBe(SHA256_EMPTY);
    expect(toHex(rootFromLeafHashes([]))).toBe(SHA256_EMPTY);
  });

  it('leaf hash is SHA-256(0x00 || d) and node hash SHA-256(0x01 || l || r)', () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(CT_ROOTS[0]);
    expect(toHex(leafHash(fromHex('00')))).toBe(toHex(sha256(fromHex('0000'))));
    expect(toHex(nodeHash(ctLeafHashes[0]!, ctLeafHashes[1]!))).toBe(CT_ROOTS[1]);
  });

  it('the roots of the first 1..8 CT leaves match the published tree heads', () => {
    for (let n = 1; n <= 8; n++) {
      expect(toHex(merkleRoot(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n - 1]);
      expect(toHex(rootFromLeafHashes(ctLeafHashes, 0, n)), `size ${n}`).toBe(CT_ROOTS[n - 1]);
    }
  });

  it('inclusion proofs: generated proofs equal the published ones, and both verify', () => {
    for (const v of CT_INCLUSION) {
      const index = v.leaf - 1;
      const p = inclusionProof(ctLeafHashes.slice(0, v.size), index);
      expect(hex(p.path), `leaf ${v.leaf} of ${v.size}`).toEqual(v.path);
      const published: InclusionProof = { leafIndex: index, treeSize: v.size, path: v.path.map((h) => fromHex(h, 32)) };
      expect(toHex(rootFromInclusion(ctLeafHashes[index]!, published)!)).toBe(CT_ROOTS[v.size - 1]);
      expect(verifyInclusion(ctLeafHashes[index]!, published, ctRoot(v.size))).toBe(true);
    }
    // The single-leaf tree: the root is the leaf hash and the proof is empty.
    expect(verifyInclusion(ctLeafHashes[0]!, { leafIndex: 0, treeSize: 1, path: [] }, ctRoot(1))).toBe(true);
  });

  it('inclusion proofs: every corruption of the reference verifier test is refused', () => {
    for (const v of CT_INCLUSION) {
      const index = v.leaf - 1;
      const p: InclusionProof = { leafIndex: index, treeSize: v.size, path: v.path.map((h) => fromHex(h, 32)) };
      for (const probe of corruptInclusion(p, ctRoot(v.size), ctLeafHashes[index]!)) {
        expect(verifyInclusion(probe.leaf, probe.proof, probe.root), `leaf ${v.leaf} of ${v.size}: ${probe.desc}`).toBe(false);
      }
    }
  });

  it('inclusion proofs: impossible index/size pairs and wrong-sized hashes are refused', () => {
    const h = leafHash(fromHex('01'));
    for (const [leafIndex, treeSize] of [[0, 0], [1, 0], [1, 1], [2, 1], [-1, 1], [0.5, 2], [0, Number.NaN], [0, 2 ** 53]]) {
      expect(verifyInclusion(h, { leafIndex: leafIndex!, treeSize: treeSize!, path: [] }, h), `${leafIndex}/${treeSize}`).toBe(false);
    }
    // transparency-dev's TestVerifyInclusionSingleEntry: an empty "hash" is not a hash.
    expect(verifyInclusion(h, { leafIndex: 0, treeSize: 1, path: [] }, new Uint8Array(0))).toBe(false);
    expect(verifyInclusion(new Uint8Array(0), { leafIndex: 0, treeSize: 1, path: [] }, h)).toBe(false);
    expect(verifyInclusion(new Uint8Array(0), { leafIndex: 0, treeSize: 1, path: [] }, new Uint8Array(0))).toBe(false);
  });

  it('consistency proofs: generated proofs equal the published ones, and both verify', () => {
    for (const v of CT_CONSISTENCY) {
      const leaves = ctLeafHashes.slice(0, v.size2);
      expect(hex(consistencyProof(leaves, v.size1, v.size2)), `${v.size1} → ${v.size2}`).toEqual(v.path);
      const proof = v.path.map((h) => fromHex(h, 32));
      expect(verifyConsistency(v.size1, v.size2, proof, ctRoot(v.size1), ctRoot(v.size2)), `${v.size1} → ${v.size2}`).toBe(true);
    }
  });

  it('consistency proofs: every corruption of the reference verifier test is refused', () => {
    for (const v of CT_CONSISTENCY.filter((c) => c.path.length > 0)) {
      const proof = v.path.map((h) => fromHex(h, 32));
      for (const probe of corruptConsistency(v.size1, v.size2, ctRoot(v.size1), ctRoot(v.size2), proof)) {
        expect(verifyConsistency(probe.size1, probe.size2, probe.proof, probe.root1, probe.root2), `${v.size1} → ${v.size2}: ${probe.desc}`).toBe(false);
      }
    }
  });

  it('consistency proofs: the trivial and impossible cases of the reference verifier test', () => {
    const r1 = ctRoot(1);
    const r2 = ctRoot(2);
    const empty = fromHex(SHA256_EMPTY, 32);
    expect(verifyConsistency(1, 1, [], r1, r1)).toBe(true); // same size, same root, empty proof
    expect(verifyConsistency(1, 1, [], r1, r2)).toBe(false); // same size, different roots
    expect(verifyConsistency(1, 1, [empty], r1, r1)).toBe(false); // same size but a non-empty proof
    expect(verifyConsistency(2, 1, [], r2, r1)).toBe(false); // time travel to the past
    expect(verifyConsistency(1, 2, [], r1, r2)).toBe(false); // empty proof for a growing tree
    // Size 0 has no root to be consistent with in RFC 9162 (0 < m); Salus refuses it.
    expect(verifyConsistency(0, 1, [], empty, r1)).toBe(false);
    expect(verifyConsistency(0, 0, [], empty, empty)).toBe(false);
    expect(() => consistencyProof(ctLeafHashes, 0, 8)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => consistencyProof(ctLeafHashes, 5, 4)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => inclusionProof(ctLeafHashes, 8)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
  });
});

describe('RFC 9162 Merkle trees: properties over random trees', () => {
  const MAX = 300;
  const leaves = Array.from({ length: MAX }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`)));
  // roots[n] is the root of the first n leaves.
  const roots = Array.from({ length: MAX + 1 }, (_, n) => rootFromLeafHashes(leaves, 0, n));

  const sizeAndIndex = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 })));
  const sizes = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

  it('the root of n leaves is built from the roots of the largest power of two below n and the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MAX }), (n) => {
        let k = 1;
        while (k * 2 < n) k *= 2;
        expect(toHex(roots[n]!)).toBe(toHex(nodeHash(roots[k]!, rootFromLeafHashes(leaves, k, n))));
      }),
      { numRuns: 100 },
    );
  });

  it('every inclusion proof verifies', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, i]) => {
        const p = inclusionProof(leaves.slice(0, n), i);
        expect(p.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(leaves[i]!, p, roots[n]!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a mutated inclusion proof does not verify: any index, any size (with that size\'s root), any path byte, path length or hash length', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('index' as const), to: fc.nat({ max: MAX }) }),
      fc.record({ kind: fc.constant('size' as const), to: fc.integer({ min: 1, max: MAX }) }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extra' as const), at: fc.nat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      fc.record({ kind: fc.constant('resize' as const), at: fc.nat(), len: fc.integer({ min: 0, max: 70 }).filter((l) => l !== 32) }),
    );
    fc.assert(
      fc.property(sizeAndIndex, mutation, ([n, i], m) => {
        const p = inclusionProof(leaves.slice(0, n), i);
        let proof: InclusionProof = p;
        let root = roots[n]!;
        const path = p.path.map((h) => h.slice());
        switch (m.kind) {
          case 'index':
            fc.pre(m.to !== i);
            proof = { ...p, leafIndex: m.to };
            break;
          case 'size':
            fc.pre(m.to !== n);
            proof = { ...p, treeSize: m.to };
            root = roots[m.to]!;
            break;
          case 'byte': {
            fc.pre(path.length > 0);
            const k = m.at % (path.length * 32);
            path[k >> 5]![k & 31]! ^= 1 << m.bit;
            proof = { ...p, path };
            break;
          }
          case 'drop':
            fc.pre(path.length > 0);
            path.splice(m.at % path.length, 1);
            proof = { ...p, path };
            break;
          case 'extra':
            path.splice(m.at % (path.length + 1), 0, m.hash);
            proof = { ...p, path };
            break;
          case 'resize': {
            fc.pre(path.length > 0);
            const k = m.at % path.length;
            path[k] = resized(path[k]!, m.len);
            proof = { ...p, path };
            break;
          }
        }
        expect(verifyInclusion(leaves[i]!, proof, root)).toBe(false);
      }),
      { numRuns: 600 },
    );
  });

  it('on its own an inclusion proof does not fix the tree size: the root for that size does (the light client checks treeSize = txCount)', () => {
    // Leaf 0 has the same left-edge path in trees of 5 and 8 leaves; only the root tells them apart.
    const p = inclusionProof(leaves.slice(0, 8), 0);
    expect(verifyInclusion(leaves[0]!, { ...p, treeSize: 5 }, roots[8]!)).toBe(true);
    expect(verifyInclusion(leaves[0]!, { ...p, treeSize: 5 }, roots[5]!)).toBe(false);
  });

  it('every consistency proof m → n verifies', () => {
    fc.assert(
      fc.property(sizes, ([m, n]) => {
        const proof = consistencyProof(leaves.slice(0, n), m, n);
        expect(verifyConsistency(m, n, proof, roots[m]!, roots[n]!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a mutated consistency proof does not verify: sizes (with their roots), roots, any path byte, path length or hash length', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('size1' as const), to: fc.integer({ min: 1, max: MAX }) }),
      fc.record({ kind: fc.constant('size2' as const), to: fc.integer({ min: 1, max: MAX }) }),
      fc.record({ kind: fc.constant('root1' as const), bit: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('root2' as const), bit: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extra' as const), at: fc.nat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      fc.record({ kind: fc.constant('resize' as const), at: fc.nat(), len: fc.integer({ min: 0, max: 70 }).filter((l) => l !== 32) }),
    );
    fc.assert(
      fc.property(sizes, mutation, ([m, n], mu) => {
        fc.pre(m < n);
        const proof = consistencyProof(leaves.slice(0, n), m, n).map((h) => h.slice());
        let [s1, s2, r1, r2] = [m, n, roots[m]!, roots[n]!];
        switch (mu.kind) {
          case 'size1':
            fc.pre(mu.to !== m);
            s1 = mu.to;
            r1 = roots[mu.to]!;
            // Between equal sizes the only proof is the empty one; a non-empty proof can never pass.
            break;
          case 'size2':
            fc.pre(mu.to !== n);
            s2 = mu.to;
            r2 = roots[mu.to]!;
            break;
          case 'root1':
            r1 = r1.slice();
            r1[mu.bit >> 3]! ^= 1 << (mu.bit & 7);
            break;
          case 'root2':
            r2 = r2.slice();
            r2[mu.bit >> 3]! ^= 1 << (mu.bit & 7);
            break;
          case 'byte': {
            const k = mu.at % (proof.length * 32);
            proof[k >> 5]![k & 31]! ^= 1 << mu.bit;
            break;
          }
          case 'drop':
            proof.splice(mu.at % proof.length, 1);
            break;
          case 'extra':
            proof.splice(mu.at % (proof.length + 1), 0, mu.hash);
            break;
          case 'resize': {
            const k = mu.at % proof.length;
            proof[k] = resized(proof[k]!, mu.len);
            break;
          }
        }
        expect(verifyConsistency(s1, s2, proof, r1, r2)).toBe(false);
      }),
      { numRuns: 600 },
    );
  });

  it('a consistency proof is bound to its first size: the proof for m → n does not pass as m+1 → n', () => {
    fc.assert(
      fc.property(sizes, ([m, n]) => {
        fc.pre(m + 1 < n);
        const proof = consistencyProof(leaves.slice(0, n), m, n);
        expect(verifyConsistency(m + 1, n, proof, roots[m + 1]!, roots[n]!)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('verifiers never throw, whatever the proof holds', () => {
    const junk = fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 12 });
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 400 }), fc.integer({ min: -2, max: 400 }), junk, fc.uint8Array({ maxLength: 40 }), (a, b, path, root) => {
        expect(() => verifyInclusion(root, { leafIndex: a, treeSize: b, path }, root)).not.toThrow();
        expect(() => verifyConsistency(a, b, path, root, root)).not.toThrow();
        expect(verifyInclusion(root, { leafIndex: a, treeSize: b, path }, SOME_HASH)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
