import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openDb } from '../src/storage/db.js';

/**
 * Tools for tampering with a stored SQLite file: where each table's pages and stored values lie,
 * one-byte flips, and a digest of the logical content (every row of every table and index) so a
 * test can tell a harmless flip (unused space) from a changed one.
 */

/** A small seeded PRNG (mulberry32): a failing flip is replayed by its seed. */
export function createRng(seed: number): { next(): number; int(n: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** Page numbers (1-based) of every table and index, from SQLite's dbstat virtual table. */
export function pagesByObject(file: string): { pageSize: number; owner: Map<number, string> } {
  const db = openDb(file, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const owner = new Map<number, string>();
    for (const r of db.prepare<[], { name: string; pageno: number }>('SELECT name, pageno FROM dbstat').all()) owner.set(r.pageno, r.name);
    return { pageSize, owner };
  } finally {
    db.close();
  }
}

export interface ValueRange {
  readonly table: string;
  /** what the bytes are, e.g. "blocks.header@5" */
  readonly what: string;
  readonly start: number;
  readonly length: number;
  /** for rows of blocks and txs: their height */
  readonly height: number | null;
}

const VALUE_QUERIES: readonly { table: string; sql: string }[] = [
  { table: 'blocks', sql: "SELECT height AS h, header AS v, 'header' AS c FROM blocks UNION ALL SELECT height, commit_, 'commit' FROM blocks UNION ALL SELECT height, hash, 'hash' FROM blocks" },
  { table: 'txs', sql: "SELECT height AS h, tx AS v, 'tx' AS c FROM txs UNION ALL SELECT height, result, 'result' FROM txs" },
  { table: 'state', sql: "SELECT NULL AS h, value AS v, 'value' AS c FROM state UNION ALL SELECT NULL, key, 'key' FROM state" },
  { table: 'smt_nodes', sql: "SELECT NULL AS h, node AS v, 'node' AS c FROM smt_nodes" },
  { table: 'tx_index', sql: "SELECT height AS h, hash AS v, 'hash' AS c FROM tx_index" },
  { table: 'valsets', sql: "SELECT height AS h, validators AS v, 'validators' AS c FROM valsets" },
  { table: 'smt_roots', sql: "SELECT NULL AS h, root AS v, 'root' AS c FROM smt_roots" },
  { table: 'smt_stale', sql: "SELECT NULL AS h, refs AS v, 'refs' AS c FROM smt_stale" },
  { table: 'meta', sql: "SELECT NULL AS h, v AS v, k AS c FROM meta" },
];

/**
 * Finds the bytes of stored values in the file: each value's occurrences that lie on a page owned
 * by its own table (a state value is also inside a state-tree leaf, on a smt_nodes page), larger
 * values first, and no range overlapping another.
 */
export function locateValues(file: string): ValueRange[] {
  const bytes = readFileSync(file);
  const { pageSize, owner } = pagesByObject(file);
  const db = openDb(file, { readonly: true });
  const out: ValueRange[] = [];
  try {
    for (const { table, sql } of VALUE_QUERIES) {
      for (const r of db.prepare<[], { h: number | null; v: Buffer; c: string }>(sql).all()) {
        if (r.v.length < 8) continue;
        for (let at = bytes.indexOf(r.v); at >= 0; at = bytes.indexOf(r.v, at + 1)) {
          if (owner.get(Math.floor(at / pageSize) + 1) !== table) continue;
          // a hash that also appears inside a larger value (a header's prevHash) names that value
          if (out.some((x) => at < x.start + x.length && x.start < at + r.v.length)) continue;
          out.push({ table, what: `${table}.${r.c}${r.h === null ? '' : `@${r.h}`}`, start: at, length: r.v.length, height: r.h });
        }
      }
    }
  } finally {
    db.close();
  }
  return out;
}

const CONTENT_QUERIES = [
  'SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY name',
  'SELECT * FROM meta ORDER BY k',
  'SELECT * FROM blocks ORDER BY height',
  'SELECT * FROM txs ORDER BY height, idx',
  'SELECT * FROM tx_index ORDER BY hash',
  'SELECT * FROM state ORDER BY key',
  'SELECT * FROM smt_nodes ORDER BY ref',
  'SELECT * FROM smt_stale ORDER BY version',
  'SELECT * FROM valsets ORDER BY height',
  'SELECT * FROM smt_roots ORDER BY version',
];

/** A digest of everything the database holds, or undefined when SQLite cannot read it all. */
export function contentDigest(file: string): string | undefined {
  let db;
  try {
    db = openDb(file, { readonly: true });
  } catch {
    return undefined;
  }
  try {
    const h = createHash('sha256');
    for (const q of CONTENT_QUERIES) {
      h.update(q);
      for (const row of db.prepare(q).raw().iterate() as IterableIterator<unknown[]>) {
        for (const cell of row) h.update(Buffer.isBuffer(cell) ? `b${cell.length}:${cell.toString('hex')}` : `v:${typeof cell}:${String(cell)}`).update('|');
        h.update('\n');
      }
    }
    return h.digest('hex');
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}
