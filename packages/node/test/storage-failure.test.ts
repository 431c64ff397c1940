import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';
import { pino } from 'pino';
import { isStorageFailure, logFatal, storageFailure } from '../src/storage/failure.js';

const raw = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('storage failures, named', () => {
  it('a full disk or quota is STORAGE_FULL, a failing device STORAGE_ERROR, with the raw code (and the file a file system error names)', () => {
    for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT']) {
      const e = storageFailure(raw(code), 'block 12');
      expect(e).toMatchObject({ code: 'STORAGE_FULL', meta: { cause: code } });
      expect((e as Error).message).toMatch(/^storage full writing block 12: /);
      expect(isStorageFailure(e)).toBe(true);
    }
    // a file system error names its own file: the consensus WAL's, not the ledger's
    const enospc = Object.assign(raw('ENOSPC', 'ENOSPC: no space left on device, write'), { path: 'data/consensus.wal' });
    expect(storageFailure(enospc, 'block 12')).toMatchObject({ code: 'STORAGE_FULL', meta: { cause: 'ENOSPC', file: 'data/consensus.wal' } });
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

  it('the fatal line names the file the error names, else the ledger, and what to do', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const wal = Object.assign(raw('ENOSPC', 'ENOSPC: no space left on device, write'), { path: 'data/consensus.wal' });
    expect(logFatal(log, wal, 'data/salus.db', 7)).toMatchObject({ code: 'STORAGE_FULL' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 60, code: 'STORAGE_FULL', cause: 'ENOSPC', file: 'data/consensus.wal', height: 7 });
    expect(JSON.parse(lines[0]!).msg).toMatch(/\(data\/consensus\.wal\); nothing of it was written: free space/);
    const e = logFatal(log, storageFailure(raw('SQLITE_FULL', 'database or disk is full'), 'block 8'), 'data/salus.db', 7);
    expect(JSON.parse(lines[1]!)).toMatchObject({ file: 'data/salus.db', msg: expect.stringContaining('storage full writing block 8') });
    expect(isStorageFailure(e)).toBe(true);
    const bug = new TypeError('x is undefined');
    expect(logFatal(log, bug, 'data/salus.db', 7)).toBe(bug);
    expect(JSON.parse(lines[2]!)).toMatchObject({ level: 60, msg: 'consensus stopped' });
  });
});
