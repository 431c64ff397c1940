import { type MessagePort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { SalusError } from '@salus/core';
import type { PgStep } from './pg-batch.js';

/**
 * The thread a `PgSqlDb` starts: it holds the one PostgreSQL connection and answers each request
 * of the blocked calling thread on `port`, then wakes it through `flag` (see pg-channel.ts).
 */
export interface PgWorkerData {
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

export type PgRequest =
  | { readonly id: number; readonly op: 'connect'; readonly connectionString: string; readonly schema: string; readonly timeoutMs: number; readonly readonly: boolean }
  | { readonly id: number; readonly op: 'steps'; readonly steps: readonly PgStep[] }
  | { readonly id: number; readonly op: 'close' };

export type PgAnswer =
  | { readonly id: number; readonly ok: true; readonly rows: readonly Record<string, unknown>[] }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly sqlstate: string | undefined; readonly connection: boolean; readonly corrupt: boolean };

/** BIGINT columns hold heights, versions and node references, all below 2^53: numbers, as SQLite gives them. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) throw new SalusError('CORRUPT_DATA', `a stored integer ${v} is past 2^53`);
      return n;
    };
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

const { port, flag } = workerData as PgWorkerData;
let client: pg.Client | undefined;
let inTransaction = false;
/** a connection error or end: every later request fails instead of waiting on a dead socket */
let lost: string | undefined;

/**
 * Statements the server keeps parsed and planned, by text: a named statement skips both on every
 * later use (about a third of a point read's time, measured). Only statements of a few parameters
 * (the storage code's point reads and single writes, a few dozen texts): a grouped write's text
 * changes with its row count and would fill the server's memory with plans used once.
 */
const NAMED_MAX = 500;
const NAMED_PARAMS_MAX = 16;
const named = new Map<string, string>();
function nameOf(text: string, values: readonly unknown[]): string | undefined {
  // schema text and transaction control have no parameters and run as simple queries
  if (values.length === 0 || values.length > NAMED_PARAMS_MAX) return undefined;
  let name = named.get(text);
  if (name === undefined && named.size < NAMED_MAX) named.set(text, (name = `s${named.size}`));
  return name;
}

function answer(a: PgAnswer): void {
  port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/**
 * A structured clone copies a typed array's whole ArrayBuffer, and pg's byte strings are views of
 * larger pooled buffers: each is copied to one of its own size first.
 */
function ownBytes(row: Record<string, unknown>): Record<string, unknown> {
  for (const k in row) {
    const v = row[k];
    if (v instanceof Uint8Array && v.byteLength !== v.buffer.byteLength) row[k] = new Uint8Array(v);
  }
  return row;
}

async function handle(m: PgRequest): Promise<readonly Record<string, unknown>[]> {
  if (m.op === 'connect') {
    client = new pg.Client({ connectionString: m.connectionString, connectionTimeoutMillis: m.timeoutMs, statement_timeout: m.timeoutMs, types });
    client.on('error', (e) => void (lost = e.message));
    client.on('end', () => void (lost ??= 'the server closed the connection'));
    await client.connect();
    if (!m.readonly) await client.query(`CREATE SCHEMA IF NOT EXISTS ${m.schema}`);
    await client.query(`SET search_path TO ${m.schema}`);
    // verify reads one consistent snapshot while the node goes on committing
    if (m.readonly) await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return [];
  }
  if (m.op === 'close') {
    await client?.end();
    client = undefined;
    return [];
  }
  if (!client) throw new SalusError('STORAGE_UNAVAILABLE', 'not connected');
  if (lost !== undefined) throw new SalusError('STORAGE_UNAVAILABLE', lost);
  let rows: Record<string, unknown>[] = [];
  try {
    for (const s of m.steps) {
      if (s.text === 'BEGIN') inTransaction = true;
      // (a text of several statements, as the schema is, answers with one result each)
      const name = nameOf(s.text, s.values);
      const r: pg.QueryResult | pg.QueryResult[] = await client.query({ text: s.text, values: s.values as unknown[], ...(name === undefined ? {} : { name }) });
      if (s.text === 'COMMIT' || s.text === 'ROLLBACK') inTransaction = false;
      rows = (Array.isArray(r) ? (r.at(-1)?.rows ?? []) : r.rows) as Record<string, unknown>[];
    }
  } catch (e) {
    // a failed statement aborts the transaction: roll it back here, so nothing of it is kept and the connection is usable again
    if (inTransaction && lost === undefined) {
      inTransaction = false;
      await client.query('ROLLBACK').catch(() => undefined);
    }
    throw e;
  }
  return rows.map(ownBytes);
}

port.on('message', (m: PgRequest) => {
  handle(m).then(
    (rows) => answer({ id: m.id, ok: true, rows }),
    (e: unknown) => {
      const err = e as Error & { code?: string };
      const sqlstate = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
      // SQLSTATE class 08 is a connection exception, 57P an administrator's shutdown; a system error code (ECONNREFUSED, …) or pg's timeouts are the socket's
      const connection =
        lost !== undefined ||
        (e instanceof SalusError && e.code === 'STORAGE_UNAVAILABLE') ||
        (sqlstate !== undefined && (sqlstate.startsWith('08') || sqlstate.startsWith('57P'))) ||
        (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) ||
        (sqlstate === undefined && /timeout|Connection terminated/i.test(err.message));
      answer({ id: m.id, ok: false, message: err.message, sqlstate, connection, corrupt: e instanceof SalusError && e.code === 'CORRUPT_DATA' });
    },
  );
});
