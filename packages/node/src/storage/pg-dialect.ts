import { SalusError } from '@salus/core';

/**
 * The dialect step between the SQL the storage code writes (SQLite's, kept to what PostgreSQL also
 * reads: see sql.ts) and PostgreSQL: numbered placeholders, and the schema's column types.
 */

/** `?` placeholders to `$1, $2, …` (the storage code's SQL holds no `?` inside a string literal). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * A SQLite schema (CREATE TABLE / CREATE INDEX statements) as PostgreSQL DDL: BLOB → BYTEA,
 * INTEGER → BIGINT (heights and node references pass 2^31), TEXT keys compare bytewise
 * (COLLATE "C", as SQLite's do), no WITHOUT ROWID.
 */
export function toPgSchema(sqlite: string): string {
  return sqlite
    .replace(/\bWITHOUT ROWID\b/g, '')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"');
}

export interface ExpectedColumn {
  readonly table: string;
  readonly column: string;
  /** as information_schema.columns names it */
  readonly type: 'bytea' | 'bigint' | 'text';
}

const PG_TYPE: Record<string, ExpectedColumn['type']> = { BLOB: 'bytea', INTEGER: 'bigint', TEXT: 'text' };

/** The columns a SQLite schema's tables have once translated: what opening a PostgreSQL schema checks. */
export function expectedColumns(sqlite: string): ExpectedColumn[] {
  const out: ExpectedColumn[] = [];
  for (const m of sqlite.matchAll(/CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)/g)) {
    const table = m[1]!;
    for (const def of m[2]!.split(/,(?![^(]*\))/)) {
      const [column, type] = def.trim().split(/\s+/);
      if (column === undefined || column === 'PRIMARY' || type === undefined) continue;
      const pg = PG_TYPE[type];
      if (pg === undefined) throw new SalusError('CONFIG', `column ${table}.${column} has type ${type}, which the PostgreSQL backend does not translate`);
      out.push({ table, column, type: pg });
    }
  }
  return out;
}

/** The table a write statement changes, and the tables a read reads: what decides whether a read must see buffered writes. */
export function tablesOf(sql: string): readonly string[] {
  // asked for every buffered write at every read in a transaction: remembered per text (the storage code has a few dozen)
  let t = tables.get(sql);
  if (t === undefined) {
    t = [...sql.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)/gi)].map((m) => m[1]!.toLowerCase());
    if (tables.size < 1_000) tables.set(sql, t);
  }
  return t;
}

const tables = new Map<string, readonly string[]>();
