import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';
import { isStorageFailure, storageFailure } from '../src/storage/failure.js';

const raw = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('storage failures, named', () => {
  it('a full disk or quota is STORAGE_FULL, a failing device STORAGE_ERROR, with the raw code and the file', () => {
    for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT']) {
      const e = storageFailure(raw(code), 'data/salus.db');
      expect(e).toMatchObject({ code: 'STORAGE_FULL', meta: { cause: code, file: 'data/salus.db' } });
      expect(isStorageFailure(e)).toBe(true);
    }
    for (const code of ['SQLITE_IOERR_WRITE', 'SQLITE_IOERR', 'EIO', 'EROFS', 'SQLITE_READONLY']) expect(storageFailure(raw(code), 'f')).toMatchObject({ code: 'STORAGE_ERROR', meta: { cause: code } });
  });

  it('anything else is left as it is: a bug or bad data is not the disk', () => {
    const bug = new TypeError('x is undefined');
    expect(storageFailure(bug, 'f')).toBe(bug);
    const constraint = raw('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(storageFailure(constraint, 'f')).toBe(constraint);
    const typed = new SalusError('CORRUPT_DATA', 'bad row');
    expect(storageFailure(typed, 'f')).toBe(typed);
    expect(isStorageFailure(typed)).toBe(false);
    expect(isStorageFailure(bug)).toBe(false);
  });

  it('SQLite past its page limit fails with SQLITE_FULL and keeps nothing of the transaction', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)');
    db.pragma('max_page_count = 20');
    const put = db.prepare('INSERT INTO t (v) VALUES (?)');
    let failure: unknown;
    let batches = 0;
    try {
      for (;;) {
        db.transaction(() => {
          for (let i = 0; i < 10; i++) put.run(Buffer.alloc(400));
        })();
        batches++;
      }
    } catch (e) {
      failure = storageFailure(e, ':memory:');
    }
    expect(failure).toMatchObject({ code: 'STORAGE_FULL', meta: { cause: 'SQLITE_FULL' } });
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(batches * 10);
    db.close();
  });
});
