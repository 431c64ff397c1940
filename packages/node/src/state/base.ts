import { buf, u8 } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';

/**
 * A data directory's base: the height of the first block it holds. 0 for a node that holds the
 * chain from genesis; the snapshot height for a node started by state sync, which holds the state
 * at that height, that block (with its commit and validator sets) and everything after it, but no
 * earlier block. Kept in `meta` as `base`, written once with the restored state.
 */
export function readBase(db: SqlDb): number {
  const row = db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'base'").get();
  return row ? Number(Buffer.from(u8(row.v)).toString()) : 0;
}

/** Call inside the caller's database transaction, with the rest of the restored base. */
export function writeBase(db: SqlDb, height: number): void {
  db.prepare("INSERT INTO meta (k, v) VALUES ('base', ?)").run(buf(new TextEncoder().encode(String(height))));
}
