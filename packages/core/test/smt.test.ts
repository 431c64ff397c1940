import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZERO_HASH, smtApply, smtProve, smtVerify, toHex, utf8ToBytes, type SmtNode, type SmtNodeReader } from '../src/index.js';

class MemStore implements SmtNodeReader {
  nodes = new Map<string, SmtNode>();
  getNode(h: Uint8Array) {
    return this.nodes.get(toHex(h));
  }
  apply(root: Uint8Array, ups: { key: Uint8Array; value: Uint8Array | undefined }[]) {
    const r = smtApply(this, root, ups);
    for (const c of r.created) this.nodes.set(toHex(c.hash), c.node);
    return r;
  }
}

const key = fc.integer({ min: 0, max: 40 }).map((n) => utf8ToBytes(`k${n}`));
const op = fc.record({ key, value: fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { nil: undefined }) });

describe('sparse Merkle tree state', () => {
  it('matches a map model; proves membership and non-membership of every key', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 12 }), { maxLength: 6 }), (batches) => {
        const s = new MemStore();
        const model = new Map<string, Uint8Array>();
        let root = ZERO_HASH;
        for (const b of batches) {
          root = s.apply(root, b).root;
          for (const u of b) {
            if (u.value === undefined) model.delete(toHex(u.key));
            else model.set(toHex(u.key), u.value);
          }
        }
        for (let n = 0; n <= 40; n++) {
          const k = utf8ToBytes(`k${n}`);
          const { value, proof } = smtProve(s, root, k);
          const want = model.get(toHex(k));
          expect(value === undefined ? undefined : toHex(value)).toEqual(want === undefined ? undefined : toHex(want));
          expect(smtVerify(root, k, value, proof)).toBe(true);
          // the opposite claim never verifies
          expect(smtVerify(root, k, value === undefined ? new Uint8Array([1]) : undefined, proof)).toBe(false);
          if (value) expect(smtVerify(root, k, new Uint8Array([...value, 0]), proof)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('has one root per content, whatever the order of writes and deletes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const s1 = new MemStore();
        let r1 = ZERO_HASH;
        for (const u of ops) r1 = s1.apply(r1, [u]).root;
        const final = new Map<string, { key: Uint8Array; value: Uint8Array | undefined }>();
        for (const u of ops) final.set(toHex(u.key), u);
        const s2 = new MemStore();
        const present = [...final.values()].filter((u) => u.value !== undefined).reverse();
        const r2 = s2.apply(ZERO_HASH, present).root;
        expect(toHex(r1)).toEqual(toHex(r2));
      }),
      { numRuns: 300 },
    );
  });

  it('reports orphaned nodes so that old versions can be pruned', () => {
    const s = new MemStore();
    const a = s.apply(ZERO_HASH, [{ key: utf8ToBytes('a'), value: new Uint8Array([1]) }, { key: utf8ToBytes('b'), value: new Uint8Array([2]) }]);
    const b = s.apply(a.root, [{ key: utf8ToBytes('a'), value: new Uint8Array([3]) }]);
    expect(b.orphaned.map(toHex)).toContain(toHex(a.root));
    const c = s.apply(b.root, [{ key: utf8ToBytes('a'), value: undefined }, { key: utf8ToBytes('b'), value: undefined }]);
    expect(toHex(c.root)).toEqual(toHex(ZERO_HASH));
  });

  it('rejects malformed proofs without throwing', () => {
    const s = new MemStore();
    const { root } = s.apply(ZERO_HASH, [{ key: utf8ToBytes('a'), value: new Uint8Array([1]) }, { key: utf8ToBytes('b'), value: new Uint8Array([2]) }]);
    const { proof } = smtProve(s, root, utf8ToBytes('a'));
    expect(smtVerify(root, utf8ToBytes('a'), new Uint8Array([1]), { siblings: [new Uint8Array(3)], leaf: proof.leaf! })).toBe(false);
    expect(smtVerify(root, utf8ToBytes('a'), new Uint8Array([1]), { siblings: new Array(300).fill(ZERO_HASH), leaf: proof.leaf! })).toBe(false);
  });
});

describe('orphaned nodes are never live', () => {
  it('every node reported orphaned is unreachable from the new root (property)', async () => {
    const { smtApply: apply, ZERO_HASH: zero, toHex: hex } = await import('../src/index.js');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 3 }))), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }), (batches) => {
        const nodes = new Map<string, import('../src/smt.js').SmtNode>();
        const reader = { getNode: (h: Uint8Array) => nodes.get(hex(h)) };
        let root = zero;
        for (const b of batches) {
          const r = apply(reader, root, b.map(([k, v]) => ({ key: new TextEncoder().encode(`k${k}`), value: v === null ? undefined : new Uint8Array([v]) })));
          for (const { hash, node } of r.created.values()) nodes.set(hex(hash), node);
          const live = new Set<string>();
          const walk = (h: Uint8Array) => {
            if (h.every((x) => x === 0)) return;
            live.add(hex(h));
            const n = nodes.get(hex(h))!;
            if (n.kind === 'inner') {
              walk(n.left);
              walk(n.right);
            }
          };
          walk(r.root);
          for (const o of r.orphaned) if (live.has(hex(o))) return false;
          root = r.root;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

/** A store that addresses nodes by reference, as the node's StateStore does, and prunes what a batch replaced. */
class RefStore implements SmtNodeReader {
  nodes = new Map<number, SmtNode>();
  next = 0;
  getNode(_h: Uint8Array, ref?: number) {
    return ref === undefined ? undefined : this.nodes.get(ref);
  }
}

describe('nodes addressed by reference', () => {
  it('give the same roots and proofs as nodes addressed by hash; the replaced references are exactly the dead nodes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }), (batches) => {
        const byHash = new MemStore();
        const byRef = new RefStore();
        let hRoot = ZERO_HASH;
        let rRoot = ZERO_HASH;
        let rootRef = 0;
        const model = new Map<string, Uint8Array>();
        for (const b of batches) {
          hRoot = byHash.apply(hRoot, b).root;
          const r = smtApply(byRef, rRoot, b, { allocate: () => ++byRef.next, rootRef });
          for (const c of r.created) byRef.nodes.set(c.ref!, c.node);
          for (const dead of r.orphanedRefs) byRef.nodes.delete(dead);
          rRoot = r.root;
          rootRef = r.rootRef;
          if (toHex(rRoot) !== toHex(hRoot)) return false;
          // nothing unreachable is left behind: the stored nodes are exactly the live ones
          let live = 0;
          const walk = (ref: number) => {
            if (ref === 0) return;
            live++;
            const n = byRef.nodes.get(ref)!;
            if (n.kind === 'inner') {
              walk(n.leftRef!);
              walk(n.rightRef!);
            }
          };
          walk(rootRef);
          if (live !== byRef.nodes.size) return false;
          for (const u of b) {
            if (u.value === undefined) model.delete(toHex(u.key));
            else model.set(toHex(u.key), u.value);
          }
          // every key proves against the new root with only live nodes, by reference
          for (let k = 0; k <= 40; k++) {
            const kb = utf8ToBytes(`k${k}`);
            const { value, proof } = smtProve(byRef, rRoot, kb, rootRef);
            const want = model.get(toHex(kb));
            if ((value === undefined) !== (want === undefined)) return false;
            if (want && toHex(value!) !== toHex(want)) return false;
            if (!smtVerify(rRoot, kb, want, proof)) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
