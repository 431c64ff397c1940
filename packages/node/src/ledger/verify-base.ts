import { SMT_ROOT_POSITION, SalusError, type SmtPosition, ZERO_HASH, bytesEqual, encode, smtChildPosition, toHex, txHash } from '@salus/core';
import type { Genesis } from '@salus/module';
import { buf } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';
import { StateStore } from '../state/store.js';
import { readBase, writeBase } from '../state/base.js';
import { readSnapshotPieces } from '../state/snapshot-read.js';
import { SnapshotWriter } from '../state/snapshot-write.js';
import { acceptPiece } from '../statesync/chunk-fetch.js';
import { BlockStore } from './blockstore.js';

/** Bytes of entries read at once while copying or walking a stored tree. */
const WALK_BYTES = 8 * 1024 * 1024;

/**
 * `salus verify` of a data directory started by state sync (base b > 0): copies what a replay
 * starts from into `replay`: the state at b, read from the stored tree of version b (kept for
 * this: see StateStore.baseVersion; every node read is checked against its hash) and rebuilt,
 * block b, its validator sets and the genesis. Block b's commit must verify against its validator
 * set (checked by the caller once the replay's chain is open), and the state must hash to the app hash of header b + 1 when the directory holds it.
 * Returns b, or 0 for a directory from genesis (nothing copied).
 */
export function replayBase(stored: SqlDb, replay: SqlDb, o: { genesis: Genesis }): number {
  const base = readBase(stored);
  if (base === 0) return 0;
  const state = new StateStore(stored);
  const blocks = new BlockStore(stored);
  const at = state.rootRefAt(base);
  if (!at) throw new SalusError('CORRUPT_DATA', `the state at the base ${base} is not stored`, { height: base, object: 'state at base' });
  const b = blocks.requireBlock(base);
  const next = blocks.getBlock(base + 1);
  if (next && !bytesEqual(next.header.appHash, at.root)) throw new SalusError('CORRUPT_DATA', `the state at the base ${base} does not hash to the app hash of header ${base + 1}`, { height: base, object: 'state at base' });
  const valsets = stored.prepare<[number], { height: number; validators: Buffer }>('SELECT height, validators FROM valsets WHERE height <= ? ORDER BY height').all(base + 1);
  const writer = new SnapshotWriter(replay, base);
  walkTree(state, at, (want, piece) => acceptPiece(writer, want, piece));
  writer.finish(at.root);
  const replayBlocks = new BlockStore(replay);
  const txs = blocks.getTxs(base);
  replay.transaction(() => {
    replay.prepare("INSERT INTO meta (k, v) VALUES ('genesis', ?)").run(buf(encode(o.genesis as never)));
    writeBase(replay, base);
    replayBlocks.save(b.header, b.commit, txs.map((t) => t.tx), txs.map((t) => txHash(t.tx)), txs.map((t) => t.result), b.resultsRoot);
    for (const v of valsets) replay.prepare('INSERT INTO valsets (height, validators) VALUES (?, ?)').run(v.height, v.validators);
  })();
  return base;
}

type Want = { position: SmtPosition; hash: Uint8Array };

/** Visits every piece of the tree at `root` in bounded reads, as a restore fetches them. */
function walkTree(state: StateStore, at: { root: Uint8Array; ref: number }, visit: (want: Want, piece: ReturnType<typeof readSnapshotPieces>[number]) => Want[]): void {
  const queue: Want[] = [{ position: SMT_ROOT_POSITION, hash: at.root }];
  while (queue.length > 0) {
    const want = queue.pop()!;
    const [piece] = readSnapshotPieces(state, { hash: at.root, ref: at.ref }, [want.position], WALK_BYTES);
    queue.push(...visit(want, piece!));
  }
}

/**
 * Every node of the stored tree at the current version is read (each checked against the hash
 * its parent records) and its entries must be exactly the flat state table's. For a directory
 * from a base, whose node references depend on how its snapshot arrived, this stands in for the
 * row-by-row comparison of `smt_nodes` and `smt_stale` with the replay's.
 */
export function checkStoredTree(db: SqlDb): void {
  const state = new StateStore(db);
  const at = state.rootRefAt(state.version);
  if (!at) throw new SalusError('CORRUPT_DATA', 'the current state version has no root', { object: 'state tree' });
  let entries = 0;
  walkTree(state, at, (want, piece) => {
    if ('split' in piece) return acceptSplit(want, piece.split);
    for (const e of piece.entries) {
      const v = state.get(e.key);
      if (!v || !bytesEqual(v, e.value)) throw new SalusError('CORRUPT_DATA', `state entry ${toHex(e.key)} differs between the tree and the state table`, { object: 'state' });
    }
    entries += piece.entries.length;
    return [];
  });
  const rows = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM state').get()!.n;
  if (Number(rows) !== entries) throw new SalusError('CORRUPT_DATA', `the state table holds ${rows} entries, the tree ${entries}`, { object: 'state' });
}

function acceptSplit(want: Want, split: readonly [Uint8Array, Uint8Array]): Want[] {
  const out: Want[] = [];
  if (!bytesEqual(split[0], ZERO_HASH)) out.push({ position: smtChildPosition(want.position, 0), hash: split[0] });
  if (!bytesEqual(split[1], ZERO_HASH)) out.push({ position: smtChildPosition(want.position, 1), hash: split[1] });
  return out;
}
