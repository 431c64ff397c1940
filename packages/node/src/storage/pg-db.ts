import { SalusError } from '@salus/core';
import { type ColumnType, type PendingWrite, type PgStep, groupWrites } from './pg-batch.js';
import { PgChannel } from './pg-channel.js';
import { tablesOf, toPgPlaceholders } from './pg-dialect.js';
import type { SqlDb, SqlStatement } from './sql.js';

export interface PgDbOptions {
  /** the longest one round trip (connecting, a statement, a commit) may take before the storage counts as unavailable */
  readonly timeoutMs: number;
  /** a read-only snapshot (what `salus verify` reads) */
  readonly readonly: boolean;
  /** column types of the tables written, so long runs of one INSERT go as arrays (pg-batch.ts) */
  readonly columnType?: ColumnType;
}

export const defaultPgDbOptions: PgDbOptions = { timeoutMs: 30_000, readonly: false };

const BEGIN: PgStep = { text: 'BEGIN', values: [] };
const COMMIT: PgStep = { text: 'COMMIT', values: [] };
/** rows an iteration fetches per round trip */
const FETCH_ROWS = 2_000;

/** Row values as better-sqlite3 gives them: byte strings as Buffers (the worker's arrive as plain Uint8Arrays). */
function asBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const k in row) {
    const v = row[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

/**
 * The SqlDb seam over PostgreSQL, synchronous as the ledger needs it (a block commits within one
 * turn of the event loop): each call is one round trip to the connection's worker thread
 * (PgChannel). Inside a transaction writes are buffered and sent in one round trip with the
 * COMMIT, grouped into multi-row statements (pg-batch.ts); a read of a table with buffered writes
 * sends them first (read-your-writes). A failed transaction is rolled back whole.
 */
export class PgSqlDb implements SqlDb {
  private readonly channel: PgChannel;
  private pending: PendingWrite[] = [];
  /** the tables `pending` writes to: a read of one of them sends the buffer first */
  private readonly pendingTables = new Set<string>();
  private depth = 0;
  private began = false;
  private closed = false;
  /** cursor names free for reuse (a reused name keeps the DECLARE text, so the server's parsed statement, the same) */
  private readonly freeCursors: string[] = [];
  private cursors = 0;

  constructor(
    readonly connectionString: string,
    readonly schema: string,
    private readonly opts: PgDbOptions = defaultPgDbOptions,
  ) {
    this.channel = new PgChannel(`PostgreSQL storage (schema ${schema})`);
    try {
      this.channel.call({ op: 'connect', connectionString, schema, timeoutMs: opts.timeoutMs, readonly: opts.readonly }, opts.timeoutMs + 1_000);
    } catch (e) {
      this.channel.close(0);
      throw e;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R> {
    const text = toPgPlaceholders(sql);
    const tables = tablesOf(sql);
    const read = (params: unknown[]) => this.read(text, tables, params) as R[];
    const statement: SqlStatement<unknown[], R> = {
      // (the storage code's `get` queries select one row by key or say LIMIT 1: the whole answer is that row)
      get: (...params) => read(params)[0],
      all: (...params) => read(params),
      iterate: (...params) => this.iterate(text, tables, params) as IterableIterator<R>,
      run: (...params) => this.write(sql, params),
    };
    return statement as never;
  }

  transaction<T>(fn: () => T): () => T {
    return () => {
      // a transaction inside another is part of it (the storage code never rolls back an inner one alone)
      if (this.depth > 0) return fn();
      this.depth = 1;
      try {
        const out = fn();
        const steps = groupWrites(this.pending, this.opts.columnType);
        if (this.began || steps.length > 0) this.call([...(this.began ? [] : [BEGIN]), ...steps, COMMIT]);
        return out;
      } catch (e) {
        // the worker rolled back a transaction that failed there; one that failed here (in fn) was maybe begun
        if (this.began) this.rollbackQuietly();
        throw e;
      } finally {
        this.depth = 0;
        this.began = false;
        this.pending = [];
        this.pendingTables.clear();
      }
    };
  }

  exec(sql: string): void {
    this.flush();
    this.call([{ text: sql, values: [] }]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close(this.opts.timeoutMs);
  }

  private write(sql: string, params: unknown[]): void {
    if (this.depth > 0) {
      this.pending.push({ sql, params });
      for (const t of tablesOf(sql)) this.pendingTables.add(t);
    }
    else this.call(groupWrites([{ sql, params }], this.opts.columnType));
  }

  private read(text: string, tables: readonly string[], params: unknown[]): Record<string, unknown>[] {
    const step: PgStep = { text, values: params };
    let steps: PgStep[] = [step];
    if (this.depth > 0 && tables.some((t) => this.pendingTables.has(t))) {
      steps = [...(this.began ? [] : [BEGIN]), ...groupWrites(this.pending, this.opts.columnType), step];
      this.pending = [];
      this.pendingTables.clear();
      this.began = true;
    }
    return this.call(steps).map(asBuffers);
  }

  /**
   * Rows through a server-side cursor, FETCH_ROWS at a time, so a table larger than memory (verify
   * walks every row) is never held whole. WITH HOLD: the cursor outlives the transaction it was
   * declared in (outside one, the statement's own); closed when the iteration ends or is abandoned.
   */
  private *iterate(text: string, tables: readonly string[], params: unknown[]): IterableIterator<Record<string, unknown>> {
    const name = this.freeCursors.pop() ?? `salus_cursor_${this.cursors++}`;
    this.read(`DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${text}`, tables, params);
    try {
      for (;;) {
        const rows = this.call([{ text: `FETCH ${FETCH_ROWS} FROM ${name}`, values: [] }]).map(asBuffers);
        yield* rows;
        if (rows.length < FETCH_ROWS) return;
      }
    } finally {
      try {
        this.call([{ text: `CLOSE ${name}`, values: [] }]);
        this.freeCursors.push(name);
      } catch {
        // a lost connection took the cursor with it
      }
    }
  }

  /** Sends the buffered writes now (before a statement the buffer cannot reason about). */
  private flush(): void {
    if (this.depth === 0 || (this.pending.length === 0 && this.began)) return;
    const steps = [...(this.began ? [] : [BEGIN]), ...groupWrites(this.pending, this.opts.columnType)];
    this.pending = [];
    this.pendingTables.clear();
    this.began = true;
    this.call(steps);
  }

  private call(steps: readonly PgStep[]): Record<string, unknown>[] {
    if (this.closed) throw new SalusError('STORAGE_UNAVAILABLE', `PostgreSQL storage (schema ${this.schema}) is closed`);
    return this.channel.call({ op: 'steps', steps }, this.opts.timeoutMs) as Record<string, unknown>[];
  }

  private rollbackQuietly(): void {
    try {
      this.call([{ text: 'ROLLBACK', values: [] }]);
    } catch {
      // the server rolls back an aborted transaction itself when its connection ends
    }
  }
}
