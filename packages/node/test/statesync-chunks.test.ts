import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type BlockHeader, SMT_ROOT_POSITION, SalusError, ZERO32, encode, headerHash, smtApply, smtBuildSubtree, type SmtPosition, toHex } from '@salus/core';
import { openDb, type Db } from '../src/storage/db.js';
import { StateStore } from '../src/state/store.js';
import { writeBase } from '../src/state/base.js';
import { readSnapshotPieces, type SnapshotEntry, type SnapshotPiece } from '../src/state/snapshot-read.js';
import { SnapshotWriter } from '../src/state/snapshot-write.js';
import { acceptPiece } from '../src/statesync/chunk-fetch.js';
import { checkHeaderChain } from '../src/statesync/light.js';
import { checkSnapshotOptions, offeredHeights } from '../src/statesync/options.js';
import { decodeSnapshotMessage, encodeSnapshotMessage } from '../src/statesync/wire.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SalusError) return e.code;
    throw e;
  }
  return 'none';
}

/** A state store with `versions` versions of `perVersion` writes each (some overwrites and deletes). */
function storeWith(versions: number, perVersion: number, seed = 1): { db: Db; state: StateStore } {
  const db = openDb(':memory:', { memory: true });
  const state = new StateStore(db, { nodeCacheMax: 1000, keepVersions: 100 });
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  for (let v = 0; v < versions; v++) {
    const ups = Array.from({ length: perVersion }, (_, i) => {
      const k = bytes(`k/${rnd() % (versions * perVersion)}`);
      return { key: k, value: i % 11 === 10 ? undefined : bytes(`value ${v}.${i} ${'x'.repeat(rnd() % 200)}`) };
    });
    db.transaction(() => state.commit(v, ups))();
  }
  return { db, state };
}

/** Restores the tree at `version` of `from` by asking for pieces `chunkBytes` at a time, as a restoring node does. */
function restore(from: StateStore, version: number, chunkBytes: number, tamper?: (p: SnapshotPiece[]) => SnapshotPiece[]): { db: Db; state: StateStore; answers: number } {
  const db = openDb(':memory:', { memory: true });
  const writer = new SnapshotWriter(db, version);
  const at = from.rootRefAt(version)!;
  let queue = [{ position: SMT_ROOT_POSITION, hash: at.root }];
  let answers = 0;
  while (queue.length > 0) {
    const take = queue.splice(0, 16);
    let pieces = readSnapshotPieces(from, { hash: at.root, ref: at.ref }, take.map((w) => w.position), chunkBytes);
    if (tamper) pieces = tamper(pieces);
    answers++;
    pieces.forEach((p, i) => queue.push(...acceptPiece(writer, take[i]!, p)));
    queue = [...take.slice(pieces.length), ...queue];
  }
  writer.finish(at.root);
  return { db, state: new StateStore(db), answers };
}

const rows = (db: Db) => db.prepare('SELECT key, value FROM state ORDER BY key').raw().all();

describe('state snapshot chunks', () => {
  it('a subtree built from its entries hashes as the whole tree does (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 }), (keys) => {
        const entries = keys.map((k, i) => ({ key: bytes(k), value: bytes(`v${i}`) }));
        const whole = smtApply({ getNode: () => undefined }, ZERO32, entries);
        expect(toHex(smtBuildSubtree(entries, SMT_ROOT_POSITION).hash)).toBe(toHex(whole.root));
      }),
      { numRuns: 200 },
    );
  });

  it('restores a kept version in bounded chunks: same root, same entries, readable proofs', () => {
    const { state } = storeWith(12, 80);
    for (const chunkBytes of [600, 4096, 1 << 20]) {
      const out = restore(state, 9, chunkBytes);
      expect(toHex(out.state.root)).toBe(toHex(state.rootAt(9)!));
      expect(out.state.version).toBe(9);
      if (chunkBytes === 600) expect(out.answers).toBeGreaterThan(10);
      // the restored tree is a working state tree: proofs and the next commit agree with the source's
      const key = bytes('k/3');
      expect(out.state.prove(key).value === undefined).toBe(state.prove(key, 9).value === undefined);
    }
    // the values at the current version match the flat table once restored at the tip
    const tip = restore(state, 11, 2048);
    const src = storeWith(12, 80);
    expect(rows(tip.db)).toEqual(rows(src.db));
  });

  it('a restored store keeps its base version whole while later versions are pruned', () => {
    const { state } = storeWith(8, 60);
    const out = restore(state, 7, 2048);
    const atBase = (s: StateStore) => {
      const at = s.rootRefAt(7)!;
      return readSnapshotPieces(s, { hash: at.root, ref: at.ref }, [SMT_ROOT_POSITION], 1 << 24);
    };
    const before = atBase(out.state);
    out.db.transaction(() => writeBase(out.db, 7))();
    const pinned = new StateStore(out.db, { nodeCacheMax: 10, keepVersions: 2 });
    expect(pinned.baseVersion).toBe(7);
    // every key of the base rewritten, version after version, well past keepVersions
    const keys = rows(out.db).map((r) => (r as [Buffer])[0]);
    for (let v = 8; v < 16; v++) out.db.transaction(() => pinned.commit(v, keys.map((k, i) => ({ key: k, value: bytes(`v${v}.${i}`) }))))();
    expect(pinned.rootRefAt(9)).toBeUndefined();
    expect(toHex(pinned.rootAt(7)!)).toBe(toHex(state.rootAt(7)!));
    expect(atBase(new StateStore(out.db, { nodeCacheMax: 10, keepVersions: 2 }))).toEqual(before);
  });

  it('every answer stays within the byte bound, unless it is one entry larger than the bound', () => {
    const { state } = storeWith(6, 60);
    const at = state.rootRefAt(5)!;
    const pieces = readSnapshotPieces(state, { hash: at.root, ref: at.ref }, [SMT_ROOT_POSITION], 1000);
    const size = (p: SnapshotPiece) => ('split' in p ? 72 : p.entries.reduce((n, e) => n + e.key.length + e.value.length + 8, 0));
    expect(pieces.reduce((n, p) => n + size(p), 0)).toBeLessThanOrEqual(1000);
    expect('split' in pieces[0]!).toBe(true);
  });

  it('refuses a tampered chunk, a chunk of another height and a truncated chunk (BAD_SNAPSHOT)', () => {
    const { state } = storeWith(10, 80);
    const tamperValue = (ps: SnapshotPiece[]) =>
      ps.map((p) => ('entries' in p && p.entries.length > 0 ? { entries: [{ ...p.entries[0]!, value: bytes('forged') }, ...p.entries.slice(1)] } : p));
    const truncate = (ps: SnapshotPiece[]) => ps.map((p) => ('entries' in p && p.entries.length > 1 ? { entries: p.entries.slice(0, -1) } : p));
    const forgeSplit = (ps: SnapshotPiece[]) => ps.map((p) => ('split' in p ? { split: [p.split[1], p.split[0]] as const } : p));
    for (const t of [tamperValue, truncate, forgeSplit]) expect(codeOf(() => restore(state, 8, 1500, t))).toBe('BAD_SNAPSHOT');

    // pieces read at version 7 offered for the tree of version 8
    const at8 = state.rootRefAt(8)!;
    const at7 = state.rootRefAt(7)!;
    const writer = new SnapshotWriter(openDb(':memory:', { memory: true }), 8);
    const old = readSnapshotPieces(state, { hash: at7.root, ref: at7.ref }, [SMT_ROOT_POSITION], 1 << 20);
    expect(codeOf(() => acceptPiece(writer, { position: SMT_ROOT_POSITION, hash: at8.root }, old[0]!))).toBe('BAD_SNAPSHOT');
    // an entry outside the subtree it was sent for
    const left: SmtPosition = { depth: 1, prefix: Uint8Array.of(0) };
    const outside: SnapshotEntry[] = [{ key: bytes('a'), value: bytes('1') }, { key: bytes('b'), value: bytes('2') }, { key: bytes('c'), value: bytes('3') }];
    expect(codeOf(() => smtBuildSubtree(outside, left))).toBe('BAD_SNAPSHOT');
    // a snapshot that ends with subtrees never sent
    expect(codeOf(() => writer.finish(at8.root))).toBe('BAD_SNAPSHOT');
  });

  it('a position the tree does not have, or a pruned version, is refused when serving', () => {
    const { state } = storeWith(4, 3);
    const at = state.rootRefAt(3)!;
    const deep: SmtPosition = { depth: 40, prefix: new Uint8Array(5) };
    expect(codeOf(() => readSnapshotPieces(state, { hash: at.root, ref: at.ref }, [deep], 4096))).toBe('BAD_SNAPSHOT');
    // a version the store no longer keeps has no root to serve from (the server answers with no pieces)
    const pruned = storeWith(6, 3);
    const kept = new StateStore(pruned.db, { nodeCacheMax: 10, keepVersions: 2 });
    pruned.db.transaction(() => kept.commit(6, [{ key: bytes('late'), value: bytes('1') }]))();
    expect(kept.rootRefAt(3)).toBeUndefined();
    expect(kept.rootRefAt(5)).toBeDefined();
  });

  it('snapshot messages round-trip, and malformed ones are refused with a typed error', () => {
    const pieces: SnapshotPiece[] = [{ split: [new Uint8Array(32).fill(1), new Uint8Array(32)] }, { entries: [{ key: bytes('k'), value: bytes('v') }] }];
    const m = decodeSnapshotMessage(encodeSnapshotMessage({ t: 'chunk', id: 3, height: 40, pieces }), 1 << 20);
    expect(m).toEqual({ t: 'chunk', id: 3, height: 40, pieces });
    const q = decodeSnapshotMessage(encodeSnapshotMessage({ t: 'chunk?', id: 1, height: 40, positions: [{ depth: 3, prefix: Uint8Array.of(0xa0) }] }), 1 << 20);
    expect(q).toEqual({ t: 'chunk?', id: 1, height: 40, positions: [{ depth: 3, prefix: Uint8Array.of(0xa0) }] });
    const bad = [
      encode({ t: 'chunk?', id: 1, height: 1, positions: [{ d: 3, p: Uint8Array.of(0xa1) }] }), // bits past the depth
      encode({ t: 'chunk', id: 1, height: 1, pieces: [{ s: [new Uint8Array(32)] }] }),
      encode({ t: 'offers', heights: [-1] }),
      encode({ t: 'nonsense' }),
      Uint8Array.of(0xff, 0x00),
    ];
    for (const b of bad) expect(['INVALID_FIELD', 'MALFORMED_ENCODING']).toContain(codeOf(() => decodeSnapshotMessage(b, 1 << 20)));
  });

  it('headers must link back to the trusted hash', () => {
    const mk = (height: number, prev: Uint8Array): BlockHeader => ({
      chainId: 'c',
      height,
      time: height,
      prevHash: prev,
      txRoot: ZERO32,
      txCount: 0,
      appHash: ZERO32,
      lastResultsHash: ZERO32,
      validatorsHash: ZERO32,
      proposer: new Uint8Array(32),
    });
    const hs: BlockHeader[] = [];
    for (let h = 5; h <= 9; h++) hs.push(mk(h, hs.length ? headerHash(hs[hs.length - 1]!) : ZERO32));
    const trust = { height: 9, hash: headerHash(hs[4]!) };
    expect(codeOf(() => checkHeaderChain(trust, 'c', hs))).toBe('none');
    const forged = [...hs];
    forged[1] = { ...forged[1]!, appHash: new Uint8Array(32).fill(7) };
    expect(codeOf(() => checkHeaderChain(trust, 'c', forged))).toBe('BAD_SNAPSHOT');
    expect(codeOf(() => checkHeaderChain({ height: 9, hash: new Uint8Array(32) }, 'c', hs))).toBe('BAD_SNAPSHOT');
    expect(codeOf(() => checkHeaderChain(trust, 'c', hs.slice(0, 4)))).toBe('BAD_SNAPSHOT');
  });

  it('snapshot options stay within the versions the state store keeps', () => {
    const o = { intervalBlocks: 20, kept: 2, chunkBytesMax: 1 << 20 };
    expect(codeOf(() => checkSnapshotOptions(o, 100, 4 << 20))).toBe('none');
    expect(codeOf(() => checkSnapshotOptions({ ...o, intervalBlocks: 60 }, 100, 4 << 20))).toBe('CONFIG');
    expect(codeOf(() => checkSnapshotOptions({ ...o, chunkBytesMax: 4 << 20 }, 100, 4 << 20))).toBe('CONFIG');
    expect(offeredHeights(o, 135, 100, 0)).toEqual([120, 100]);
    expect(offeredHeights(o, 19, 100, 0)).toEqual([]);
    expect(offeredHeights(o, 135, 100, 110)).toEqual([120]);
    expect(offeredHeights({ ...o, intervalBlocks: 0 }, 135, 100, 0)).toEqual([]);
  });
});
