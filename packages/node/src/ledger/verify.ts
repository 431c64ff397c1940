import { type Ed25519, SalusError, bytesEqual, toHex, verifyCommit } from '@salus/core';
import { openDb } from '../storage/db.js';
import { openStorage } from '../storage/open.js';
import { isEmbedded, type SqlDb } from '../storage/sql.js';
import { StateStore, type StateStoreOptions } from '../state/store.js';
import { BlockStore } from './blockstore.js';
import { checkStoredTree, replayBase } from './verify-base.js';
import { readBase } from '../state/base.js';
import { Chain, type ChainOptions } from './chain.js';
import { createApplication } from '../app/modules.js';
import type { AppModule, Genesis } from '@salus/module';

export interface VerifyReport {
  readonly ok: boolean;
  readonly height: number;
  readonly txs: number;
  readonly error?: { readonly height: number | null; readonly object: string; readonly message: string };
}

export interface VerifyOptions {
  readonly genesis: Genesis;
  readonly ed: Ed25519;
  readonly chain: ChainOptions;
  readonly state: StateStoreOptions;
  /** the modules the chain runs (default: the registry) */
  readonly modules?: readonly AppModule[];
}

/** Tables compared row by row with a replay from genesis, and the key column that names a row. */
const TABLES: readonly [string, string][] = [
  ['meta', 'k'],
  ['blocks', 'height'],
  ['txs', 'height, idx'],
  ['tx_index', 'hash'],
  ['valsets', 'height'],
  ['state', 'key'],
  ['smt_nodes', 'ref'],
  ['smt_stale', 'version'],
  ['smt_roots', 'version'],
];

/**
 * Re-checks a data directory from genesis: every block's hash link, transaction root, results
 * root, validator set and commit signatures (every transaction signature again), replays every
 * block to recompute each app hash, and finally compares every stored row with the replay's, so a
 * changed byte anywhere in a block, transaction, result, index or state entry is found and named.
 */
export function verifyDb(db: SqlDb, o: VerifyOptions): VerifyReport {
  let height = 0;
  let txs = 0;
  const fail = (h: number | null, object: string, message: string): VerifyReport => ({ ok: false, height, txs, error: { height: h, object, message } });
  try {
    // integrity_check, not quick_check: only it compares every index entry with its table row
    // (PostgreSQL checks its pages itself; the row comparison below covers both)
    if (isEmbedded(db)) {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') return fail(null, 'database', `SQLite reports: ${String(integrity)}`);
    }
    const stored = new BlockStore(db);
    const replayDb = openDb(':memory:', { memory: true });
    try {
      // a directory started by state sync is replayed from its base (verify-base.ts), not from genesis
      let base: number;
      try {
        base = replayBase(db, replayDb, o);
      } catch (e) {
        return fail(readBase(db), 'state at base', (e as Error).message);
      }
      const replayState = new StateStore(replayDb, o.state);
      const replayBlocks = new BlockStore(replayDb);
      const app = createApplication(o.genesis.chainId, o.ed, replayState, o.modules);
      const chain = new Chain(o.chain, { db: replayDb, genesis: o.genesis, ed: o.ed, app, state: replayState, blocks: replayBlocks });
      chain.open();
      if (base > 0) {
        const b = stored.requireBlock(base);
        try {
          verifyCommit(o.ed, b.header, b.commit, chain.validatorsFor(base));
        } catch (e) {
          return fail(base, 'commit', (e as Error).message);
        }
        height = base;
      }
      const last = stored.latestHeight();
      for (let h = base + 1; h <= last; h++) {
        let b;
        try {
          b = stored.requireBlock(h);
        } catch (e) {
          return fail(h, 'header', (e as Error).message);
        }
        const rows = stored.getTxs(h);
        try {
          chain.commitBlock({ header: b.header, txs: rows.map((r) => r.tx) }, b.commit);
        } catch (e) {
          const meta = e instanceof SalusError ? e.meta : {};
          return fail(h, String(meta.object ?? 'block'), (e as Error).message);
        }
        const replayed = replayBlocks.getTxs(h);
        for (let i = 0; i < rows.length; i++) {
          if (!bytesEqual(rows[i]!.result, replayed[i]!.result)) return fail(h, `result of transaction ${i}`, 'stored result differs from the replayed one');
        }
        if (!bytesEqual(b.resultsRoot, replayBlocks.requireBlock(h).resultsRoot)) return fail(h, 'results root', 'stored results root differs from the replay');
        height = h;
        txs += rows.length;
      }
      for (const [table, key] of TABLES) {
        // node references of a restored tree depend on how its snapshot arrived: the stored tree is walked instead
        if (base > 0 && (table === 'smt_nodes' || table === 'smt_stale')) continue;
        const diff = firstDifference(db, replayDb, table, key);
        if (diff) return fail(diff.height, `${table} row ${diff.key}`, `stored ${table} differs from the replay from ${base > 0 ? `the base ${base}` : 'genesis'}`);
      }
      if (base > 0) {
        try {
          checkStoredTree(db);
        } catch (e) {
          return fail(null, 'state tree', (e as Error).message);
        }
      }
      return { ok: true, height, txs };
    } finally {
      replayDb.close();
    }
  } catch (e) {
    return fail(null, 'database', (e as Error).message);
  }
}

function firstDifference(a: SqlDb, b: SqlDb, table: string, key: string): { key: string; height: number | null } | undefined {
  const q = `SELECT * FROM ${table} ORDER BY ${key}`;
  const ia = rowValues(a.prepare<[], Record<string, unknown>>(q).iterate());
  const ib = rowValues(b.prepare<[], Record<string, unknown>>(q).iterate());
  for (let n = 0; ; n++) {
    const ra = ia.next();
    const rb = ib.next();
    if (ra.done && rb.done) return undefined;
    const row = (ra.done ? rb.value : ra.value) as unknown[];
    const same = !ra.done && !rb.done && ra.value.length === rb.value.length && ra.value.every((x, i) => cellEqual(x, rb.value[i]));
    if (!same) {
      ia.return?.();
      ib.return?.();
      const k = row[0];
      const keyText = Buffer.isBuffer(k) ? toHex(k) : String(k);
      const height = table === 'blocks' || table === 'txs' ? Number(k) : null;
      return { key: keyText, height };
    }
  }
}

/** Rows as their values in column order (both backends give `SELECT *` columns in table order). */
function* rowValues(rows: IterableIterator<Record<string, unknown>>): IterableIterator<unknown[]> {
  for (const r of rows) yield Object.values(r);
}

function cellEqual(x: unknown, y: unknown): boolean {
  if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
  return x === y;
}

/** Verifies an embedded data directory's database file. */
export function verifyDataDir(dbFile: string, o: VerifyOptions): VerifyReport {
  return verifyStorage('embedded', dbFile, o);
}

/** Verifies a node's ledger storage: `storage` as its configuration names it ("embedded": the file `dbFile`). */
export function verifyStorage(storage: string, dbFile: string, o: VerifyOptions): VerifyReport {
  let db: SqlDb;
  try {
    db = openStorage(storage, dbFile, { readonly: true });
  } catch (e) {
    return { ok: false, height: 0, txs: 0, error: { height: null, object: 'database', message: (e as Error).message } };
  }
  try {
    return verifyDb(db, o);
  } finally {
    db.close();
  }
}
