import { SalusError } from '@salus/core';
import { SCHEMA, SCHEMA_VERSION } from './db.js';
import { PgSqlDb, defaultPgDbOptions, type PgDbOptions } from './pg-db.js';
import { expectedColumns, toPgSchema } from './pg-dialect.js';

export interface PgLocation {
  /** the connection string handed to pg, without the `schema` parameter */
  readonly connectionString: string;
  /** the PostgreSQL schema holding this node's tables (one per node: several nodes may share a database) */
  readonly schema: string;
  /** the location without credentials, for messages and logs */
  readonly display: string;
}

export const DEFAULT_PG_SCHEMA = 'salus';

/**
 * Reads `postgres://user[:password]@host[:port]/database[?schema=name&host=/socket/dir]`. The
 * `schema` parameter names the node's schema (default `salus`); every other part is pg's.
 */
export function parsePgLocation(storage: string): PgLocation {
  let url: URL;
  try {
    url = new URL(storage);
  } catch {
    throw new SalusError('CONFIG', 'storage is not a valid postgres:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new SalusError('CONFIG', `storage URL scheme ${url.protocol} is not postgres:`);
  const schema = url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new SalusError('CONFIG', `storage schema "${schema}" is not a lower-case SQL identifier (a-z, 0-9, _; at most 63)`);
  url.searchParams.delete('schema');
  const display = `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname} (schema ${schema})`;
  return { connectionString: url.toString(), schema, display };
}

/**
 * Opens (and on first use creates) a node's ledger tables in its PostgreSQL schema. A schema of an
 * older build, or one holding tables Salus did not make, is refused with CORRUPT_DATA before
 * anything is written; an unreachable server with STORAGE_UNAVAILABLE.
 */
export function openPgDb(storage: string, opts: Partial<PgDbOptions> = {}): PgSqlDb {
  const loc = parsePgLocation(storage);
  const types = new Map(expectedColumns(SCHEMA).map((c) => [`${c.table}.${c.column}`, c.type]));
  const o = { ...defaultPgDbOptions, columnType: (table: string, column: string) => types.get(`${table}.${column}`), ...opts };
  const db = new PgSqlDb(loc.connectionString, loc.schema, o);
  try {
    checkSchema(db, loc, o.readonly);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function checkSchema(db: PgSqlDb, loc: PgLocation, readonly: boolean): void {
  const inSchema = 'SELECT table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns WHERE table_schema = ?';
  const tablesNow = new Set(db.prepare<[string], { t: string }>(inSchema).all(loc.schema).map((r) => r.t));
  const version = tablesNow.has('meta') ? db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get()?.v.toString() : undefined;
  if (version !== undefined && version !== String(SCHEMA_VERSION)) {
    throw new SalusError('CORRUPT_DATA', `${loc.display} has schema ${version}, this build reads ${SCHEMA_VERSION}: it was made by another build of Salus; there is no migration, so use a new schema`);
  }
  const ours = new Set(expectedColumns(SCHEMA).map((c) => c.table));
  if (version === undefined && [...tablesNow].some((t) => ours.has(t))) {
    throw new SalusError('CORRUPT_DATA', `${loc.display} holds tables that are not a Salus ledger (no schema version): name another schema`);
  }
  if (version === undefined && readonly) throw new SalusError('NOT_FOUND', `${loc.display} holds no Salus ledger`);
  if (!readonly) {
    db.transaction(() => {
      db.exec(toPgSchema(SCHEMA));
      if (version === undefined) db.prepare("INSERT INTO meta (k, v) VALUES ('schema', ?)").run(Buffer.from(String(SCHEMA_VERSION)));
    })();
  }
  const stored = new Map(db.prepare<[string], { t: string; c: string; type: string }>(inSchema).all(loc.schema).map((r) => [`${r.t}.${r.c}`, r.type]));
  for (const c of expectedColumns(SCHEMA)) {
    if (stored.get(`${c.table}.${c.column}`) !== c.type) throw new SalusError('CORRUPT_DATA', `the tables of ${loc.display} differ from the schema this build reads (${c.table}.${c.column})`);
  }
}
