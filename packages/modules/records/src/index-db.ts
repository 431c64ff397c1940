import Database from 'better-sqlite3';
import { SalusError, decode, decodeTx, toHex, txHash } from '@salus/core';
import type { BlockReader } from '@salus/module';
import { blobRefs } from './module.js';
import { parseRecordsPayload, type Disclose, type DisclosureEntry, type WriteBatch } from './payloads.js';

/**
 * The node's local records index, derived only from committed blocks (so it can be deleted and
 * rebuilt): which versions belong to which patient, each patient's accounting of disclosures (every
 * records transaction that touched them, with its ledger coordinates), which blobs belong to whom,
 * and the queue of reads this node served whose disclosures are not yet committed.
 * It holds no health data: ids, pseudonyms, heights and hashes, as the ledger does.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (record TEXT NOT NULL, version INTEGER NOT NULL, patient TEXT NOT NULL, height INTEGER NOT NULL, PRIMARY KEY (record, version)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS versions_patient ON versions (patient, height);
CREATE INDEX IF NOT EXISTS versions_height ON versions (height);
CREATE TABLE IF NOT EXISTS log (patient TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, tx TEXT NOT NULL, PRIMARY KEY (patient, height, idx, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS log_consent ON log (height) WHERE kind IN ('grant', 'revoke', 'add_envelopes', 'erase', 'break_glass');
CREATE TABLE IF NOT EXISTS blob_patient (hash TEXT PRIMARY KEY, patient TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL, tx TEXT, submitted_at INTEGER);
CREATE INDEX IF NOT EXISTS pending_tx ON pending (tx);
`;

export interface LogRow {
  readonly height: number;
  readonly index: number;
  readonly seq: number;
  readonly kind: string;
  readonly tx: string;
}

export interface IndexedBlockTx {
  readonly type: string;
  readonly ok: boolean;
  readonly hash: string;
  readonly signer: string;
  readonly payload: unknown;
}

export class RecordsIndex {
  readonly db: Database.Database;
  private readonly s;
  /** served reads not yet in a submitted batch: counted here, not by a query per read */
  private unsent: number;

  constructor(file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // a served read's pending disclosure is on disk before the read is answered, also across a
      // power loss: FULL syncs every commit; reads arriving together share one (group commit)
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new SalusError('CORRUPT_DATA', `cannot open the records index ${file}: ${(e as Error).message}`);
    }
    const db = this.db;
    this.s = {
      getMeta: db.prepare<[string], { v: number }>('SELECT v FROM meta WHERE k = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      putVersion: db.prepare('INSERT OR REPLACE INTO versions (record, version, patient, height) VALUES (?, ?, ?, ?)'),
      versionsOf: db.prepare<[string], { record: string; version: number; height: number }>('SELECT record, version, height FROM versions WHERE patient = ? ORDER BY height, record, version'),
      patientOfRecord: db.prepare<[string], { patient: string }>('SELECT patient FROM versions WHERE record = ? LIMIT 1'),
      patients: db.prepare<[], { patient: string }>('SELECT DISTINCT patient FROM versions'),
      versionsSince: db.prepare<[number], { record: string; version: number; patient: string; height: number }>('SELECT record, version, patient, height FROM versions WHERE height > ? ORDER BY height'),
      consentChangesSince: db.prepare<[number], { patient: string }>(
        "SELECT DISTINCT patient FROM log INDEXED BY log_consent WHERE height > ? AND kind IN ('grant', 'revoke', 'add_envelopes', 'erase', 'break_glass')",
      ),
      putLog: db.prepare('INSERT OR REPLACE INTO log (patient, height, idx, seq, kind, tx) VALUES (?, ?, ?, ?, ?, ?)'),
      logOf: db.prepare<[string, number, number, number, number], LogRow & { idx: number }>(
        'SELECT height, idx, seq, kind, tx FROM log WHERE patient = ? AND (height, idx, seq) > (?, ?, ?) ORDER BY height, idx, seq LIMIT ?',
      ),
      putBlob: db.prepare('INSERT OR IGNORE INTO blob_patient (hash, patient) VALUES (?, ?)'),
      blobPatient: db.prepare<[string], { patient: string }>('SELECT patient FROM blob_patient WHERE hash = ?'),
      addPending: db.prepare('INSERT INTO pending (entry) VALUES (?)'),
      unsubmitted: db.prepare<[number], { id: number; entry: string }>('SELECT id, entry FROM pending WHERE tx IS NULL ORDER BY id LIMIT ?'),
      unsubmittedCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM pending WHERE tx IS NULL'),
      pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM pending'),
      markSubmitted: db.prepare('UPDATE pending SET tx = ?, submitted_at = ? WHERE id = ?'),
      submittedTxs: db.prepare<[], { tx: string; at: number }>('SELECT tx, MIN(submitted_at) AS at FROM pending WHERE tx IS NOT NULL GROUP BY tx'),
      dropTx: db.prepare('DELETE FROM pending WHERE tx = ?'),
      resetTx: db.prepare('UPDATE pending SET tx = NULL, submitted_at = NULL WHERE tx = ?'),
    };
    this.unsent = this.s.unsubmittedCount.get()!.n;
    this.height = this.s.getMeta.get('height')?.v ?? 0;
  }

  /** kept in memory too: readers ask for it on every request */
  private height: number;

  get indexedHeight(): number {
    return this.height;
  }

  patientOfBlob(hash: string): string | null {
    return this.s.blobPatient.get(hash)?.patient ?? null;
  }

  patientOfRecord(record: string): string | null {
    return this.s.patientOfRecord.get(record)?.patient ?? null;
  }

  /** Versions written after a height, in ledger order. */
  versionsSince(height: number): { record: string; version: number; patient: string; height: number }[] {
    return this.s.versionsSince.all(height);
  }

  /** Patients whose consent or envelopes changed after a height. */
  consentChangesSince(height: number): string[] {
    return this.s.consentChangesSince.all(height).map((r) => r.patient);
  }

  /** Every patient with at least one record version. */
  patients(): string[] {
    return this.s.patients.all().map((r) => r.patient);
  }

  versionsOf(patient: string): { record: string; version: number; height: number }[] {
    return this.s.versionsOf.all(patient);
  }

  /** A page of a patient's accounting, in ledger order, after the entry (height, index, seq). */
  logOf(patient: string, after: { height: number; index: number; seq: number }, limit: number): LogRow[] {
    return this.s.logOf.all(patient, after.height, after.index, after.seq, limit).map((r) => ({ height: r.height, index: r.idx, seq: r.seq, kind: r.kind, tx: r.tx }));
  }

  /** Adds one block's records transactions to the index; returns what the node must act on (blobs to pin, erasures). */
  indexBlock(height: number, blocks: BlockReader): { pins: { patient: string; hashes: string[] }[]; erased: string[]; txs: IndexedBlockTx[] } {
    const pins: { patient: string; hashes: string[] }[] = [];
    const erased: string[] = [];
    const txs: IndexedBlockTx[] = [];
    this.db.transaction(() => {
      for (const t of blocks.getTxs(height)) {
        const tx = decodeTx(t.tx);
        if (tx.module !== 'records') continue;
        const ok = (decode(t.result) as { code: string }).code === 'OK';
        const hash = toHex(txHash(t.tx));
        txs.push({ type: tx.type, ok, hash, signer: toHex(tx.signer), payload: tx.payload });
        if (!ok) continue;
        const log = (patient: string, seq: number, kind: string) => this.s.putLog.run(patient, height, t.index, seq, kind, hash);
        const p = tx.payload as Record<string, unknown>;
        if (tx.type === 'write_batch') {
          (parseRecordsPayload('write_batch', tx.payload) as WriteBatch).writes.forEach((w, i) => {
            log(w.patient, i, 'write');
            this.s.putVersion.run(w.record, w.version, w.patient, height);
            const hashes = [w.content, ...w.envelopes.map((e) => e.blob)];
            for (const h of hashes) this.s.putBlob.run(h, w.patient);
            pins.push({ patient: w.patient, hashes });
          });
          continue;
        }
        if (tx.type === 'disclose') {
          (parseRecordsPayload('disclose', tx.payload) as Disclose).entries.forEach((e: DisclosureEntry, i) => log(e.patient, i, `read:${e.basis}`));
          continue;
        }
        const refs = blobRefs(tx.type, tx.payload);
        const patient = (p.patient as string | undefined) ?? (refs.record ? this.patientOfRecord(refs.record) : null);
        if (!patient) continue;
        log(patient, 0, tx.type);
        if (tx.type === 'write') this.s.putVersion.run(p.record as string, p.version as number, patient, height);
        if (tx.type === 'erase') erased.push(patient);
        if (refs.hashes.length > 0) {
          for (const h of refs.hashes) this.s.putBlob.run(h, patient);
          pins.push({ patient, hashes: refs.hashes });
        }
      }
      this.s.putMeta.run('height', height);
    })();
    this.height = height;
    return { pins, erased, txs };
  }

  // ── the pending disclosures of reads this node served ──

  addPending(entries: readonly DisclosureEntry[]): void {
    this.db.transaction(() => {
      for (const e of entries) this.s.addPending.run(JSON.stringify(e));
    })();
    this.unsent += entries.length;
  }

  unsubmitted(limit: number): { id: number; entry: DisclosureEntry }[] {
    return this.s.unsubmitted.all(limit).map((r) => ({ id: r.id, entry: JSON.parse(r.entry) as DisclosureEntry }));
  }

  get unsubmittedCount(): number {
    return this.unsent;
  }

  get pendingCount(): number {
    return this.s.pendingCount.get()!.n;
  }

  markSubmitted(ids: readonly number[], tx: string, at: number): void {
    this.db.transaction(() => {
      for (const id of ids) this.unsent -= this.s.markSubmitted.run(tx, at, id).changes;
    })();
  }

  submittedTxs(): { tx: string; at: number }[] {
    return this.s.submittedTxs.all();
  }

  /** The batch committed: its entries are on the ledger. */
  dropBatch(tx: string): void {
    this.s.dropTx.run(tx);
  }

  /** The batch failed or was lost: its entries go back to the queue. */
  requeueBatch(tx: string): void {
    this.unsent += this.s.resetTx.run(tx).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
