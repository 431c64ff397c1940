import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';

/**
 * Embedded storage: SQLite (through better-sqlite3) in WAL mode with synchronous=FULL, so a block,
 * its transactions, results and state changes land in one atomic, durable transaction. See
 * docs/adr/0001-storage-engine.md for why SQLite rather than LMDB or LevelDB.
 */
export type Db = Database.Database;

export const SCHEMA_VERSION = 2;

/** The ledger's tables in SQLite's dialect; the PostgreSQL backend translates it (pg-dialect.ts). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, header BLOB NOT NULL, commit_ BLOB NOT NULL, results_root BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txs (height INTEGER NOT NULL, idx INTEGER NOT NULL, tx BLOB NOT NULL, result BLOB NOT NULL, PRIMARY KEY (height, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tx_index (hash BLOB PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS smt_nodes (ref INTEGER PRIMARY KEY, node BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS smt_stale (version INTEGER PRIMARY KEY, refs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS valsets (height INTEGER PRIMARY KEY, validators BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS smt_roots (version INTEGER PRIMARY KEY, root BLOB NOT NULL, ref INTEGER NOT NULL);
`;

export interface OpenOptions {
  readonly readonly?: boolean;
  readonly memory?: boolean;
  /** the file's largest size (SQLite's max_page_count); a write past it fails with SQLITE_FULL, as on a full disk */
  readonly maxBytes?: number;
}

export function openDb(file: string, opts: OpenOptions = {}): Db {
  let db: Db | undefined;
  try {
    db = new Database(opts.memory ? ':memory:' : file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('cache_size = -32000');
    if (opts.maxBytes) db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxBytes / Number(db.pragma('page_size', { simple: true }))))}`);
    // An older build's data directory is named as such before its tables are compared.
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const older = hasMeta ? db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get() : undefined;
    if (older && older.v.toString() !== String(SCHEMA_VERSION)) {
      throw new SalusError('CORRUPT_DATA', `data directory has schema ${older.v.toString()}, this build reads ${SCHEMA_VERSION}: it was made by another build of Salus; there is no migration, so start from a new data directory (for the local network, remove its directory)`);
    }
    if (!opts.readonly) db.exec(SCHEMA);
    const stored = new Set(schemaOf(db));
    if (!expectedSchema().every((x) => stored.has(x))) throw new SalusError('CORRUPT_DATA', `the tables of ${file} differ from the schema this build reads`);
    const v = db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get();
    if (!v && !opts.readonly) db.prepare("INSERT INTO meta (k, v) VALUES ('schema', ?)").run(Buffer.from(String(SCHEMA_VERSION)));
    else if (v && v.v.toString() !== String(SCHEMA_VERSION)) {
      throw new SalusError('CORRUPT_DATA', `data directory has schema ${v.v.toString()}, this build reads ${SCHEMA_VERSION}`);
    }
  } catch (e) {
    if (db?.open) db.close();
    if (e instanceof SalusError) throw e;
    throw new SalusError('CORRUPT_DATA', `cannot open the database ${file}: ${(e as Error).message}`);
  }
  return db;
}

/** The stored schema, one text per table and index: a changed definition is corrupt data, found on opening. */
function schemaOf(db: Db): string[] {
  return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema').raw().all().map((row) => JSON.stringify(row));
}

let expected: string[] | undefined;
function expectedSchema(): string[] {
  if (expected === undefined) {
    const db = new Database(':memory:');
    try {
      db.exec(SCHEMA);
      expected = schemaOf(db);
    } finally {
      db.close();
    }
  }
  return expected;
}

export function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
