import pg from 'pg';
import { SalusError } from '@salus/core';
import type { BlobStore, WallClock } from '@salus/module';
import { parsePgLocation } from '../storage/pg-open.js';
import { toPgSchema } from '../storage/pg-dialect.js';
import { BLOB_SCHEMA, blobSha256, checkBlobHash } from './store.js';

/** pg errors without a SQLSTATE (refused, reset, timed out) and class 08 are the server being unreachable. */
function storageError(what: string, e: unknown): SalusError {
  if (e instanceof SalusError) return e;
  const err = e as Error & { code?: string };
  const sqlstate = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  if (sqlstate === undefined || sqlstate.startsWith('08') || sqlstate.startsWith('57P')) return new SalusError('STORAGE_UNAVAILABLE', `${what}: ${err.message}`);
  return new SalusError('STORAGE_ERROR', `${what}: ${err.message}`, { sqlstate });
}

/**
 * The blob store (`BlobStore`) in the node's PostgreSQL schema, beside its ledger tables, through
 * a small pg pool (the interface is asynchronous, so no worker thread is needed). An erasure
 * deletes the rows and vacuums the table; PostgreSQL does not overwrite freed space, so an erased
 * ciphertext may linger in a data file until the page is reused: crypto-shredding (the patient's
 * keys are gone) is what makes it unreadable, as on the embedded store.
 */
export class PostgresBlobStore implements BlobStore {
  private readonly pool: pg.Pool;
  /** the table's creation, begun by the first operation and again after one that failed to reach the server */
  private ready: Promise<void> | undefined;
  private readonly ddl: string;
  private readonly what: string;

  /** `clock`: the one `put` stamps uploads with, so an upload's age is measured on one clock */
  constructor(storage: string, private readonly clock: WallClock, o: { timeoutMs?: number } = {}) {
    const loc = parsePgLocation(storage);
    this.what = `PostgreSQL blob store ${loc.display}`;
    const timeoutMs = o.timeoutMs ?? 30_000;
    this.pool = new pg.Pool({ connectionString: loc.connectionString, max: 4, allowExitOnIdle: true, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, options: `-c search_path=${loc.schema}` });
    // an idle client's lost connection is reported here; the next query reconnects
    this.pool.on('error', () => undefined);
    this.ddl = `CREATE SCHEMA IF NOT EXISTS ${loc.schema}; ${toPgSchema(BLOB_SCHEMA)}`;
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      // an unreachable server fails the operation, never the process; the next one tries again
      this.ready ??= this.pool.query(this.ddl).then(
        () => undefined,
        (e: unknown) => {
          this.ready = undefined;
          throw e;
        },
      );
      await this.ready;
      return await this.pool.query<R>(text, values);
    } catch (e) {
      throw storageError(this.what, e);
    }
  }

  async has(hash: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM blobs WHERE hash = $1', [hash])).rowCount! > 0;
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    const row = (await this.query<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE hash = $1', [hash])).rows[0];
    if (!row) return undefined;
    const bytes = new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    // A changed byte in storage is found here, not served.
    if (blobSha256(bytes) !== hash) throw new SalusError('CORRUPT_DATA', `stored blob ${hash.slice(0, 16)}… no longer matches its hash`, { hash });
    return bytes;
  }

  async put(hash: string, bytes: Uint8Array, patient: string | null, pinned = false): Promise<void> {
    checkBlobHash(hash, bytes);
    await this.query(
      'INSERT INTO blobs (hash, bytes, patient, pinned, stored_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO UPDATE SET patient = COALESCE(blobs.patient, excluded.patient), pinned = GREATEST(blobs.pinned, excluded.pinned)',
      [hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), patient, pinned ? 1 : 0, this.clock.now()],
    );
  }

  async pin(hashes: readonly string[], patient: string | null): Promise<void> {
    if (hashes.length === 0) return;
    await this.query('UPDATE blobs SET pinned = 1, patient = COALESCE($1, patient) WHERE hash = ANY($2::text[])', [patient, [...hashes]]);
  }

  async deletePatient(patient: string): Promise<number> {
    const n = (await this.query('DELETE FROM blobs WHERE patient = $1', [patient])).rowCount ?? 0;
    await this.query('VACUUM blobs', []);
    return n;
  }

  async collect(maxAgeMs: number, now: number): Promise<number> {
    return (await this.query('DELETE FROM blobs WHERE pinned = 0 AND stored_at < $1', [now - maxAgeMs])).rowCount ?? 0;
  }

  async stats(): Promise<{ blobs: number; bytes: number }> {
    const r = (await this.query<{ n: string; b: string | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(bytes)) AS b FROM blobs', [])).rows[0]!;
    return { blobs: Number(r.n), bytes: Number(r.b ?? 0) };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
