import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer } from 'node:net';
import { SalusError } from '@salus/core';
import { openDb, SCHEMA_VERSION } from '../src/storage/db.js';
import { PG_PARAMS_MAX, groupWrites } from '../src/storage/pg-batch.js';
import { PgSqlDb } from '../src/storage/pg-db.js';
import { openPgDb, parsePgLocation } from '../src/storage/pg-open.js';
import type { SqlDb } from '../src/storage/sql.js';
import { usePgCluster } from './pg-fixture.js';

const pg = usePgCluster();

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SalusError) return e.code;
    return `untyped: ${(e as Error).message}`;
  }
  return 'no error';
}

const PUT_STATE = 'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
const DEL_STATE = 'DELETE FROM state WHERE key = ?';
const PUT_INDEX = 'INSERT INTO tx_index (hash, height, idx) VALUES (?, ?, ?) ON CONFLICT DO NOTHING';
const PUT_NODE = 'INSERT INTO smt_nodes (ref, node) VALUES (?, ?)';

type Op = { t: 'put'; k: number; v: number } | { t: 'del'; k: number } | { t: 'index'; k: number; h: number } | { t: 'read'; k: number };

function apply(db: SqlDb, ops: readonly Op[]): unknown[] {
  const s = { put: db.prepare(PUT_STATE), del: db.prepare(DEL_STATE), index: db.prepare(PUT_INDEX), read: db.prepare<[Buffer], { value: Buffer }>('SELECT value FROM state WHERE key = ?') };
  const seen: unknown[] = [];
  db.transaction(() => {
    for (const op of ops) {
      if (op.t === 'put') s.put.run(Buffer.of(op.k), Buffer.of(op.v));
      else if (op.t === 'del') s.del.run(Buffer.of(op.k));
      else if (op.t === 'index') s.index.run(Buffer.of(op.k), op.h, 0);
      else seen.push(s.read.get(Buffer.of(op.k))?.value.toString('hex') ?? null);
    }
  })();
  return seen;
}

function dump(db: SqlDb): unknown[] {
  return [
    ...db.prepare<[], { key: Buffer; value: Buffer }>('SELECT key, value FROM state ORDER BY key').all().map((r) => [r.key.toString('hex'), r.value.toString('hex')]),
    ...db.prepare<[], { hash: Buffer; height: number }>('SELECT hash, height FROM tx_index ORDER BY hash').all().map((r) => [r.hash.toString('hex'), r.height]),
  ];
}

describe('PostgreSQL storage: the seam', () => {
  it('a transaction of buffered, grouped writes and reads has the effect SQLite gives it, statement by statement (property)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.integer({ min: 0, max: 47 }), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 47 }) }),
      fc.record({ t: fc.constant('index' as const), k: fc.integer({ min: 0, max: 47 }), h: fc.integer({ min: 1, max: 2 ** 40 }) }),
      fc.record({ t: fc.constant('read' as const), k: fc.integer({ min: 0, max: 47 }) }),
    );
    const db = openPgDb(pg.freshUrl());
    try {
      fc.assert(
        fc.property(fc.array(fc.array(op, { maxLength: 120 }), { minLength: 1, maxLength: 4 }), (txs) => {
          const model = openDb(':memory:', { memory: true });
          try {
            db.exec('DELETE FROM state; DELETE FROM tx_index');
            for (const ops of txs) expect(apply(db, ops)).toEqual(apply(model, ops));
            expect(dump(db)).toEqual(dump(model));
          } finally {
            model.close();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      db.close();
    }
  });

  it('groups runs of one INSERT into multi-row statements of at most 65,535 parameters, and commits a transaction larger than one', () => {
    const writes = Array.from({ length: 30_000 }, (_, i) => ({ sql: PUT_NODE, params: [i + 1, Buffer.of(i & 0xff)] }));
    const steps = groupWrites(writes);
    expect(steps.length).toBe(Math.ceil((30_000 * 2) / PG_PARAMS_MAX));
    for (const s of steps) expect(s.values.length).toBeLessThanOrEqual(PG_PARAMS_MAX);
    // with the columns' types, a long run goes as one array per column
    const typed = groupWrites(writes, (table, column) => (table === 'smt_nodes' ? { ref: 'bigint', node: 'bytea' }[column] : undefined));
    expect(typed.map((s) => [s.text, s.values.length])).toEqual([['INSERT INTO smt_nodes (ref, node) SELECT * FROM unnest($1::bigint[], $2::bytea[])', 2]]);
    const db = openPgDb(pg.freshUrl());
    try {
      const put = db.prepare(PUT_NODE);
      db.transaction(() => {
        for (const w of writes) put.run(...w.params);
      })();
      expect(db.prepare<[], { n: number; top: number }>('SELECT COUNT(*) AS n, MAX(ref) AS top FROM smt_nodes').get()).toEqual({ n: 30_000, top: 30_000 });
    } finally {
      db.close();
    }
  });

  it('iterates a large result through a cursor, in order, also when abandoned early and inside a transaction', () => {
    const db = openPgDb(pg.freshUrl());
    try {
      const put = db.prepare(PUT_NODE);
      db.transaction(() => {
        for (let i = 1; i <= 4_500; i++) put.run(i, Buffer.of(i & 0xff));
      })();
      const scan = db.prepare<[number], { ref: number; node: Buffer }>('SELECT ref, node FROM smt_nodes WHERE ref > ? ORDER BY ref');
      const refs = [...scan.iterate(0)].map((r) => r.ref);
      expect(refs).toEqual(Array.from({ length: 4_500 }, (_, i) => i + 1));
      for (const r of scan.iterate(4_000)) {
        expect(Buffer.isBuffer(r.node)).toBe(true);
        break;
      }
      db.transaction(() => {
        put.run(5_000, Buffer.of(1));
        expect([...scan.iterate(4_499)].map((r) => r.ref)).toEqual([4_500, 5_000]);
      })();
      expect([...scan.iterate(4_499)].map((r) => r.ref)).toEqual([4_500, 5_000]);
    } finally {
      db.close();
    }
  });

  it('a statement failing mid-transaction rolls back the whole transaction, and the storage keeps serving', () => {
    const db = openPgDb(pg.freshUrl());
    try {
      const put = db.prepare(PUT_NODE);
      put.run(1, Buffer.of(1));
      let err: unknown;
      try {
        db.transaction(() => {
          put.run(2, Buffer.of(2));
          // a read of the table sends the buffered write now: the transaction has begun on the server
          expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM smt_nodes').get()!.n).toBe(2);
          put.run(3, Buffer.of(3));
          put.run(1, Buffer.of(9)); // the primary key is taken
        })();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SalusError);
      expect((err as SalusError).code).toBe('STORAGE_ERROR');
      expect((err as SalusError).meta.sqlstate).toBe('23505');
      expect(db.prepare<[], { ref: number }>('SELECT ref FROM smt_nodes ORDER BY ref').all()).toEqual([{ ref: 1 }]);
      put.run(4, Buffer.of(4));
      expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM smt_nodes').get()!.n).toBe(2);
    } finally {
      db.close();
    }
  });

  it('an exception thrown by the caller inside a transaction leaves nothing of it stored', () => {
    const db = openPgDb(pg.freshUrl());
    try {
      const put = db.prepare(PUT_NODE);
      expect(() =>
        db.transaction(() => {
          put.run(1, Buffer.of(1));
          db.prepare('SELECT ref FROM smt_nodes').all();
          put.run(2, Buffer.of(2));
          throw new SalusError('CORRUPT_DATA', 'the caller gives up');
        })(),
      ).toThrowError('the caller gives up');
      expect(db.prepare('SELECT ref FROM smt_nodes').all()).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('PostgreSQL storage: bad locations and schemas', () => {
  it('an unreachable server is STORAGE_UNAVAILABLE, not a hang', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    expect(codeOf(() => openPgDb(`postgres://postgres@127.0.0.1:${closed}/postgres`, { timeoutMs: 5_000 }))).toBe('STORAGE_UNAVAILABLE');
  });

  it('a server that accepts the connection and never answers is STORAGE_UNAVAILABLE after the timeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      expect(codeOf(() => openPgDb(`postgres://postgres@127.0.0.1:${port}/postgres`, { timeoutMs: 300 }))).toBe('STORAGE_UNAVAILABLE');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a storage whose connection is cut fails every later call with STORAGE_UNAVAILABLE, and its data stays readable', () => {
    const url = pg.freshUrl();
    const db = openPgDb(url);
    const admin = new PgSqlDb(parsePgLocation(url).connectionString, 'public');
    try {
      admin.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%' AND backend_type = 'client backend'`);
      expect(codeOf(() => db.prepare('SELECT 1 FROM meta').get())).toBe('STORAGE_UNAVAILABLE');
      expect(codeOf(() => db.prepare('SELECT 1 FROM meta').get())).toBe('STORAGE_UNAVAILABLE');
      // the data is intact: a new connection reads it
      const again = openPgDb(url, { readonly: true });
      expect(again.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get()!.v.toString()).toBe(String(SCHEMA_VERSION));
      again.close();
    } finally {
      db.close();
      admin.close();
    }
  });

  it('a schema made by another build is refused by name and left as it was', () => {
    const url = pg.freshUrl();
    openPgDb(url).close();
    const { connectionString, schema } = parsePgLocation(url);
    const raw = new PgSqlDb(connectionString, schema);
    raw.exec(`UPDATE meta SET v = '\\x${Buffer.from(String(SCHEMA_VERSION - 1)).toString('hex')}' WHERE k = 'schema'`);
    try {
      let err: unknown;
      try {
        openPgDb(url);
      } catch (e) {
        err = e;
      }
      expect((err as SalusError).code).toBe('CORRUPT_DATA');
      expect((err as SalusError).message).toContain(`schema ${SCHEMA_VERSION - 1}, this build reads ${SCHEMA_VERSION}`);
      expect(raw.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get()!.v.toString()).toBe(String(SCHEMA_VERSION - 1));
    } finally {
      raw.close();
    }
  });

  it('a schema holding tables Salus did not make is refused; a changed column is refused', () => {
    const url = pg.freshUrl();
    const { connectionString, schema } = parsePgLocation(url);
    const raw = new PgSqlDb(connectionString, schema);
    try {
      raw.exec('CREATE TABLE blocks (height BIGINT PRIMARY KEY, note TEXT)');
      expect(codeOf(() => openPgDb(url))).toBe('CORRUPT_DATA');
      raw.exec('DROP TABLE blocks');
      openPgDb(url).close();
      raw.exec('ALTER TABLE state ALTER COLUMN value TYPE TEXT');
      expect(codeOf(() => openPgDb(url))).toBe('CORRUPT_DATA');
    } finally {
      raw.close();
    }
  });

  it('a user that may not create its schema gets STORAGE_ERROR with the server\'s reason', () => {
    const admin = new PgSqlDb(parsePgLocation(pg.freshUrl()).connectionString, 'public');
    try {
      admin.exec('CREATE ROLE salus_reader LOGIN');
      const url = pg.freshUrl().replace('postgres://postgres@', 'postgres://salus_reader@');
      let err: unknown;
      try {
        openPgDb(url);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'STORAGE_ERROR', meta: { sqlstate: '42501' } });
      expect((err as Error).message).toContain('permission denied');
    } finally {
      admin.close();
    }
  });

  it('a bad URL or schema name is CONFIG; verify of a schema holding no ledger is NOT_FOUND', () => {
    expect(codeOf(() => openPgDb('postgres://[bad'))).toBe('CONFIG');
    const injected = pg.freshUrl().replace(/schema=\w+/, `schema=${encodeURIComponent('x; DROP TABLE meta')}`);
    expect(codeOf(() => openPgDb(injected))).toBe('CONFIG');
    expect(codeOf(() => openPgDb(pg.freshUrl(), { readonly: true }))).toBe('NOT_FOUND');
  });
});
