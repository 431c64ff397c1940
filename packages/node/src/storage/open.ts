import { SalusError } from '@salus/core';
import { openDb } from './db.js';
import { openPgDb } from './pg-open.js';
import type { SqlDb } from './sql.js';

/** What `storage` in a node's configuration says: the embedded default, or a PostgreSQL URL. */
export type StorageKind = 'embedded' | 'postgres';

export function storageKind(storage: string): StorageKind {
  if (storage === 'embedded') return 'embedded';
  if (/^postgres(ql)?:\/\//.test(storage)) return 'postgres';
  throw new SalusError('CONFIG', 'storage must be "embedded" or a postgres:// URL');
}

export interface OpenStorageOptions {
  readonly readonly?: boolean;
  /** PostgreSQL: the longest one round trip may take */
  readonly timeoutMs?: number;
  /** embedded: the ledger file's largest size in bytes (0 or absent: no quota) */
  readonly quotaBytes?: number;
}

/**
 * Opens a node's ledger storage: the SQLite file `dbFile` when `storage` is "embedded" (the
 * default), else the PostgreSQL schema the URL names.
 */
export function openStorage(storage: string, dbFile: string, o: OpenStorageOptions = {}): SqlDb {
  if (storageKind(storage) === 'embedded') return openDb(dbFile, { readonly: o.readonly ?? false, ...(o.quotaBytes ? { maxBytes: o.quotaBytes } : {}) });
  return openPgDb(storage, { readonly: o.readonly ?? false, ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }) });
}
