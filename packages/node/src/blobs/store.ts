import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';
import type { BlobStore, WallClock } from '@salus/module';
import { buf, u8 } from '../storage/db.js';

/** SHA-256 of a blob, hex (Node's native hash: blobs are hashed on every store and every read). */
export function blobSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function checkBlobHash(hash: string, bytes: Uint8Array): void {
  if (blobSha256(bytes) !== hash) throw new SalusError('HASH_MISMATCH', `the bytes do not hash to ${hash.slice(0, 16)}…`, { hash });
}

/** The blob table in SQLite's dialect (the PostgreSQL store translates it). */
export const BLOB_SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL, patient TEXT, pinned INTEGER NOT NULL DEFAULT 0, stored_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_patient ON blobs (patient);
CREATE INDEX IF NOT EXISTS blobs_unpinned ON blobs (pinned, stored_at);
`;

/**
 * The node's blob store (the interface, `BlobStore`, is the module contract's: the records
 * services use it), in its own SQLite file. `secure_delete` makes SQLite overwrite deleted content with
 * zeros, and a TRUNCATE checkpoint after an erasure empties the WAL, so an erased ciphertext does
 * not linger in free pages or old WAL frames.
 */
export class SqliteBlobStore implements BlobStore {
  private readonly db: Database.Database;
  private readonly stmts;

  /** `clock`: the one `collect` is given its time by, so an upload's age is measured on one clock */
  constructor(file: string, private readonly clock: WallClock) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('secure_delete = ON');
      this.db.exec(BLOB_SCHEMA);
    } catch (e) {
      throw new SalusError('CORRUPT_DATA', `cannot open the blob store ${file}: ${(e as Error).message}`);
    }
    this.stmts = {
      has: this.db.prepare<[string], { n: number }>('SELECT 1 AS n FROM blobs WHERE hash = ?'),
      get: this.db.prepare<[string], { bytes: Buffer }>('SELECT bytes FROM blobs WHERE hash = ?'),
      put: this.db.prepare(
        'INSERT INTO blobs (hash, bytes, patient, pinned, stored_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET patient = COALESCE(blobs.patient, excluded.patient), pinned = MAX(blobs.pinned, excluded.pinned)',
      ),
      pin: this.db.prepare('UPDATE blobs SET pinned = 1, patient = COALESCE(?, patient) WHERE hash = ?'),
      delPatient: this.db.prepare('DELETE FROM blobs WHERE patient = ?'),
      collect: this.db.prepare('DELETE FROM blobs WHERE pinned = 0 AND stored_at < ?'),
      stats: this.db.prepare<[], { n: number; b: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(bytes)) AS b FROM blobs'),
    };
  }

  async has(hash: string): Promise<boolean> {
    return this.stmts.has.get(hash) !== undefined;
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    const row = this.stmts.get.get(hash);
    if (!row) return undefined;
    const bytes = u8(row.bytes);
    // A changed byte on disk is found here, not served.
    if (blobSha256(bytes) !== hash) throw new SalusError('CORRUPT_DATA', `stored blob ${hash.slice(0, 16)}… no longer matches its hash`, { hash });
    return bytes;
  }

  async put(hash: string, bytes: Uint8Array, patient: string | null, pinned = false): Promise<void> {
    checkBlobHash(hash, bytes);
    this.stmts.put.run(hash, buf(bytes), patient, pinned ? 1 : 0, this.clock.now());
  }

  async pin(hashes: readonly string[], patient: string | null): Promise<void> {
    this.db.transaction(() => {
      for (const h of hashes) this.stmts.pin.run(patient, h);
    })();
  }

  async deletePatient(patient: string): Promise<number> {
    const n = this.stmts.delPatient.run(patient).changes;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return n;
  }

  async collect(maxAgeMs: number, now: number): Promise<number> {
    return this.stmts.collect.run(now - maxAgeMs).changes;
  }

  async stats(): Promise<{ blobs: number; bytes: number }> {
    const r = this.stmts.stats.get()!;
    return { blobs: r.n, bytes: r.b ?? 0 };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
