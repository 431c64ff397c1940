import type { Logger } from 'pino';
import { SalusError } from '@salus/core';

/** Raw error codes of a full disk or quota: SQLite's, and the operating system's. */
const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
/** Raw error codes of a failing device or file. */
const IO = /^(SQLITE_IOERR|SQLITE_CANTOPEN|SQLITE_READONLY|EIO|EROFS)/;

const STORAGE_CODES = new Set(['STORAGE_FULL', 'STORAGE_ERROR', 'STORAGE_UNAVAILABLE']);

/**
 * A failed write as the node reports it: a full disk or quota becomes STORAGE_FULL, a failing
 * device STORAGE_ERROR, with the raw code in `meta.cause` and, when the error names its file (a
 * file system error: the consensus WAL, the signer state), that file in `meta.file`; anything else
 * is returned unchanged. `what` says what was being written ("block 12"). The caller has already
 * rolled its transaction back: this only names what happened.
 */
export function storageFailure(e: unknown, what: string): unknown {
  if (e instanceof SalusError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return e;
  const message = (e as Error).message;
  const path = (e as { path?: unknown }).path;
  const meta = { cause: code, ...(typeof path === 'string' ? { file: path } : {}) };
  if (FULL.has(code)) return new SalusError('STORAGE_FULL', `storage full writing ${what}: ${message}`, meta);
  if (IO.test(code)) return new SalusError('STORAGE_ERROR', `storage failed writing ${what}: ${message}`, meta);
  return e;
}

/** Whether a failure is the storage's, not the data's or a peer's: the node cannot go on writing. */
export function isStorageFailure(e: unknown): e is SalusError {
  return e instanceof SalusError && STORAGE_CODES.has(e.code);
}

/**
 * The one line a node logs when it stops on a failure it cannot go on from: for the storage's, the
 * code, the engine's cause, the file and what to do. Returns the failure as named.
 */
export function logFatal(log: Logger, raw: unknown, where: string, height: number): unknown {
  const e = storageFailure(raw, 'the node\'s storage');
  if (isStorageFailure(e)) {
    const file = typeof e.meta.file === 'string' ? e.meta.file : where;
    const fix = e.code === 'STORAGE_FULL' ? 'free space (or raise storageQuotaBytes)' : 'repair the storage';
    log.fatal({ code: e.code, cause: e.meta.cause, file, height }, `${e.message} (${file}); nothing of it was written: ${fix} and start the node again`);
  } else {
    log.fatal({ err: (e as Error).message }, 'consensus stopped');
  }
  return e;
}
