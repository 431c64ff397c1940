import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';
import type { AnchorItem } from '@salus/client';

export type BatchState = 'open' | 'closed' | 'anchored' | 'failed';

export interface StoredBatch {
  readonly seq: number;
  readonly openedAt: number;
  readonly openedHeight: number;
  readonly deadline: number;
  readonly state: BatchState;
  /** unique items so far (the batch's size once closed) */
  readonly count: number;
  readonly root: Uint8Array | null;
  readonly anchoredHeight: number | null;
}

interface Row {
  seq: number;
  opened_at: number;
  opened_height: number;
  deadline: number;
  state: BatchState;
  count: number;
  root: Buffer | null;
  anchored_height: number | null;
}

interface ItemRow {
  seq: number;
  kind: string;
  label: string | null;
  payload: Buffer;
  submitter: Buffer;
  sig: Buffer;
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

const toBatch = (r: Row): StoredBatch => ({
  seq: r.seq,
  openedAt: r.opened_at,
  openedHeight: r.opened_height,
  deadline: r.deadline,
  state: r.state,
  count: r.count,
  root: r.root ? new Uint8Array(r.root) : null,
  anchoredHeight: r.anchored_height,
});

/**
 * An anchoring node's own record of its batches and their items (SQLite in the module's data
 * directory, one file per anchoring key). Items are written, and synced, before their receipt
 * leaves the node: a receipt is a promise the ledger can hold the node to, so a crash must not
 * lose what it promised. Items are keyed by (batch, hash), so a batch's items read back sorted by
 * hash, the order of its tree.
 */
export class AnchorStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string, o: { synchronous: 'FULL' | 'NORMAL' }) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${o.synchronous}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, opened_at INTEGER NOT NULL, opened_height INTEGER NOT NULL, deadline INTEGER NOT NULL,
        state TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0, root BLOB, anchored_height INTEGER);
      CREATE TABLE IF NOT EXISTS items (seq INTEGER NOT NULL, item BLOB NOT NULL, kind TEXT NOT NULL, label TEXT, payload BLOB NOT NULL, submitter BLOB NOT NULL, sig BLOB NOT NULL,
        PRIMARY KEY (seq, item)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS items_by_hash ON items (item);
    `);
    this.stmts = {
      open: this.db.prepare('INSERT INTO batches (seq, opened_at, opened_height, deadline, state) VALUES (?, ?, ?, ?, ?)'),
      batch: this.db.prepare<[number], Row>('SELECT * FROM batches WHERE seq = ?'),
      inState: this.db.prepare<[string], Row>('SELECT * FROM batches WHERE state = ? ORDER BY seq'),
      last: this.db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM batches'),
      counts: this.db.prepare<[], { state: BatchState; n: number }>('SELECT state, COUNT(*) AS n FROM batches GROUP BY state'),
      addItem: this.db.prepare('INSERT OR IGNORE INTO items (seq, item, kind, label, payload, submitter, sig) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setCount: this.db.prepare('UPDATE batches SET count = ? WHERE seq = ?'),
      close: this.db.prepare("UPDATE batches SET state = 'closed', root = ?, count = ? WHERE seq = ? AND state = 'open'"),
      anchored: this.db.prepare("UPDATE batches SET state = 'anchored', anchored_height = ? WHERE seq = ?"),
      failed: this.db.prepare("UPDATE batches SET state = 'failed' WHERE seq = ?"),
      drop: this.db.prepare("DELETE FROM batches WHERE seq = ? AND count = 0"),
      sorted: this.db.prepare<[number], { item: Buffer }>('SELECT item FROM items WHERE seq = ? ORDER BY item'),
      leaves: this.db.prepare<[number, Buffer, number], { item: Buffer }>('SELECT item FROM items WHERE seq = ? AND item > ? ORDER BY item LIMIT ?'),
      find: this.db.prepare<[Buffer], ItemRow>('SELECT seq, kind, label, payload, submitter, sig FROM items WHERE item = ? ORDER BY seq'),
    };
  }

  openBatch(b: { seq: number; openedAt: number; openedHeight: number; deadline: number }): StoredBatch {
    this.stmts.open.run(b.seq, b.openedAt, b.openedHeight, b.deadline, 'open');
    return this.batch(b.seq)!;
  }

  batch(seq: number): StoredBatch | undefined {
    const r = this.stmts.batch.get(seq);
    return r ? toBatch(r) : undefined;
  }

  inState(state: BatchState): StoredBatch[] {
    return this.stmts.inState.all(state).map(toBatch);
  }

  /** the next sequence number (batches are never renumbered, failed ones included) */
  nextSeq(): number {
    return (this.stmts.last.get()?.seq ?? -1) + 1;
  }

  counts(): Record<BatchState, number> {
    const out = { open: 0, closed: 0, anchored: 0, failed: 0 };
    for (const r of this.stmts.counts.all()) out[r.state] = r.n;
    return out;
  }

  /** Adds a request's items (with their hashes) to an open batch in one synced transaction; returns the batch's new size (an item already in it counts once). */
  addItems(seq: number, count: number, items: readonly AnchorItem[], hashes: readonly Uint8Array[]): number {
    return this.db.transaction(() => {
      let n = count;
      items.forEach((it, i) => {
        n += this.stmts.addItem.run(seq, buf(hashes[i]!), it.kind, it.label ?? null, buf(it.payload), buf(it.submitter), buf(it.sig)).changes;
      });
      this.stmts.setCount.run(n, seq);
      return n;
    })();
  }

  closeBatch(seq: number, root: Uint8Array, count: number): void {
    if (this.stmts.close.run(Buffer.from(root), count, seq).changes !== 1) throw new SalusError('CORRUPT_DATA', `batch ${seq} is not open`);
  }

  markAnchored(seq: number, height: number): void {
    this.stmts.anchored.run(height, seq);
  }

  markFailed(seq: number): void {
    this.stmts.failed.run(seq);
  }

  /** Forgets an open batch that holds no item (no receipt names it). */
  dropBatch(seq: number): void {
    this.stmts.drop.run(seq);
  }

  /** A batch's item hashes in ascending order: its leaves. */
  sortedItems(seq: number): Uint8Array[] {
    return this.stmts.sorted.all(seq).map((r) => new Uint8Array(r.item));
  }

  leaves(seq: number, after: Uint8Array, limit: number): Uint8Array[] {
    return this.stmts.leaves.all(seq, Buffer.from(after), limit).map((r) => new Uint8Array(r.item));
  }

  /** Every batch an item is in (an item sent again after its batch closed goes into a later one too), with the item. */
  find(item: Uint8Array): { seq: number; item: AnchorItem }[] {
    return this.stmts.find.all(Buffer.from(item)).map((r) => {
      const it = { kind: r.kind, payload: new Uint8Array(r.payload), submitter: new Uint8Array(r.submitter), sig: new Uint8Array(r.sig) };
      return { seq: r.seq, item: r.label === null ? it : { ...it, label: r.label } };
    });
  }

  close(): void {
    this.db.close();
  }
}
