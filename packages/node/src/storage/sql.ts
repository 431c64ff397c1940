import Database from 'better-sqlite3';

/**
 * The narrow synchronous SQL seam the ledger's storage code (BlockStore, StateStore, Chain,
 * verify) is written against. better-sqlite3's `Database` satisfies it as it is, so the embedded
 * path runs with no wrapper at all; `PgSqlDb` (pg-db.ts) implements it over PostgreSQL. See
 * docs/adr/0012-storage-backends.md.
 *
 * SQL written against it is the common dialect of SQLite and PostgreSQL: `?` placeholders,
 * `INSERT … ON CONFLICT (…) DO UPDATE SET … = excluded.…` / `ON CONFLICT DO NOTHING` (never
 * `INSERT OR REPLACE`), and integer, text and byte-string columns only.
 */
export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
  /**
   * Executes a write. Inside a transaction a backend may defer it to the commit (or to the next
   * read of the same table), so its errors may surface from the transaction instead of here.
   */
  run(...params: P): unknown;
}

export interface SqlDb {
  /** (the parameter list's type is written as better-sqlite3 writes it, so its Database is an SqlDb as it is) */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R>;
  /** Wraps `fn` so that each call runs in one atomic transaction: all of its writes land, or none. */
  transaction<T>(fn: () => T): () => T;
  exec(sql: string): unknown;
  close(): unknown;
}

/** The embedded backend (SQLite): what runs SQLite-only checks (integrity_check, WAL checkpoints). */
export function isEmbedded(db: SqlDb): db is Database.Database {
  return db instanceof Database;
}
