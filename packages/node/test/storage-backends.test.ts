import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from '@salus/client';
import { SalusError, toHex, utf8ToBytes } from '@salus/core';
import { MODULES } from '../src/app/modules.js';
import { StateStore, defaultStateStoreOptions } from '../src/state/store.js';
import { verifyDb, type VerifyOptions } from '../src/ledger/verify.js';
import { mergeOptions } from '../src/config/options.js';
import { openDb } from '../src/storage/db.js';
import { openPgDb, parsePgLocation } from '../src/storage/pg-open.js';
import { PgSqlDb } from '../src/storage/pg-db.js';
import type { SqlDb } from '../src/storage/sql.js';
import { createLedger, ed, memberOf, Ledger } from './ledger-harness.js';
import { tempDir } from './harness.js';
import { BACKENDS, type Backend, usePgCluster } from './pg-fixture.js';

/**
 * The ledger (Chain, BlockStore, StateStore, verify) on each storage backend: blocks commit,
 * survive reopening, verify from genesis, a failed commit leaves nothing behind, and a changed
 * stored row is found by verify.
 */
const pg = usePgCluster();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A storage that can be opened again: a SQLite file, or a PostgreSQL schema. */
function durable(backend: Backend): { open: () => SqlDb; raw: () => SqlDb } {
  if (backend === 'embedded') {
    const dir = tempDir('salus-backend-');
    dirs.push(dir);
    const file = join(dir, 'salus.db');
    return { open: () => openDb(file), raw: () => openDb(file) };
  }
  const url = pg.freshUrl();
  const { connectionString, schema } = parsePgLocation(url);
  return { open: () => openPgDb(url), raw: () => new PgSqlDb(connectionString, schema) };
}

function vopts(l: Ledger): VerifyOptions {
  const o = mergeOptions();
  return { genesis: l.genesis, ed, chain: o.chain, state: o.state, modules: MODULES };
}

/** A few blocks of members and self-registered patients, several transactions per block. */
function fill(l: Ledger): number {
  let txs = 0;
  for (let b = 0; b < 6; b++) {
    const admin = l.org('org-a').admin;
    const members = [Wallet.create(ed), Wallet.create(ed)];
    const patients = [Wallet.create(ed), Wallet.create(ed), Wallet.create(ed)];
    const results = l.block(
      ...members.map((m) => ({ signer: admin, module: 'identity', type: 'add_member', payload: memberOf('org-a', m) })),
      ...patients.map((p) => ({ signer: p, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(p.encryptionPublicKey) } })),
    );
    expect(results.map((r) => r.code)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    txs += results.length;
  }
  return txs;
}

describe.each(BACKENDS)('the ledger on %s storage', (backend) => {
  it('commits blocks, opens again where it stopped, and verifies from genesis', () => {
    const store = durable(backend);
    const l = createLedger({ orgs: 2, db: store.open() });
    const txs = fill(l);
    const root = toHex(l.state.root);
    const height = l.height;
    const proof = l.proveValue('identity/org/org-a');
    l.close();

    const again = new Ledger(l.genesis, l.orgs, MODULES, store.open());
    try {
      expect(again.height).toBe(height);
      expect(toHex(again.state.root)).toBe(root);
      expect(again.proveValue('identity/org/org-a')).toEqual(proof);
      expect(again.state.list(utf8ToBytes('identity/'), undefined, 1000).length).toBeGreaterThan(20);
      expect(verifyDb(again.db, vopts(again))).toEqual({ ok: true, height, txs });
      // and it goes on committing
      again.tick();
      expect(again.height).toBe(height + 1);
    } finally {
      again.close();
    }
  });

  it('a commit whose write fails in storage leaves nothing of the block, and the same block commits once the cause is gone', () => {
    const store = durable(backend);
    const l = createLedger({ orgs: 1, db: store.open() });
    const raw = store.raw();
    try {
      fill(l);
      const before = { height: l.height, root: toHex(l.state.root), nodes: raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM smt_nodes').get()!.n };
      // a row in the way of the next block's, written behind the chain's back
      raw.prepare('INSERT INTO blocks (height, hash, header, commit_, results_root) VALUES (?, ?, ?, ?, ?)').run(before.height + 1, Buffer.alloc(32), Buffer.alloc(1), Buffer.alloc(1), Buffer.alloc(32));
      const p = Wallet.create(ed);
      const txs = l.buildTxs([{ signer: p, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(p.encryptionPublicKey) } }]);
      let err: unknown;
      try {
        l.commitRaw(txs);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      if (backend === 'postgres') expect(err).toMatchObject({ code: 'STORAGE_ERROR' });
      expect(l.height).toBe(before.height);
      expect(toHex(l.state.root)).toBe(before.root);
      expect(raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM smt_nodes').get()!.n).toBe(before.nodes);
      expect(raw.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM txs WHERE height = ?').get(before.height + 1)!.n).toBe(0);
      expect(raw.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM smt_roots WHERE version = ?').get(before.height + 1)!.n).toBe(0);
      raw.prepare('DELETE FROM blocks WHERE height = ?').run(before.height + 1);
      expect(l.commitRaw(txs).map((r) => r.code)).toEqual(['OK']);
      expect(verifyDb(l.db, vopts(l)).ok).toBe(true);
    } finally {
      raw.close();
      l.close();
    }
  });

  it('verify names a changed stored result and a changed state value', () => {
    const store = durable(backend);
    const l = createLedger({ orgs: 1, db: store.open() });
    const raw = store.raw();
    try {
      fill(l);
      const good = verifyDb(l.db, vopts(l));
      expect(good.ok).toBe(true);
      const result = raw.prepare<[], { result: Buffer }>('SELECT result FROM txs WHERE height = 3 AND idx = 1').get()!.result;
      const changed = Buffer.from(result);
      changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x01;
      raw.prepare('UPDATE txs SET result = ? WHERE height = 3 AND idx = 1').run(changed);
      expect(verifyDb(l.db, vopts(l)).error).toMatchObject({ height: 3, object: 'result of transaction 1' });
      raw.prepare('UPDATE txs SET result = ? WHERE height = 3 AND idx = 1').run(result);
      const key = raw.prepare<[], { key: Buffer }>('SELECT key FROM state ORDER BY key LIMIT 1 OFFSET 3').get()!.key;
      raw.prepare('UPDATE state SET value = ? WHERE key = ?').run(Buffer.from('changed'), key);
      expect(verifyDb(l.db, vopts(l)).error).toMatchObject({ object: `state row ${toHex(key)}` });
    } finally {
      raw.close();
      l.close();
    }
  });

  it('a state store keeping values in memory answers as one that reads them, across commits and a failed one (property)', () => {
    const key = fc.integer({ min: 0, max: 11 }).map((k) => utf8ToBytes(`k/${k}`));
    const update = fc.record({ key, value: fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }), { nil: undefined }) });
    const step = fc.record({ updates: fc.array(update, { maxLength: 6 }), fails: fc.boolean(), reads: fc.array(key, { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const dbs = [pg.openFresh(backend), pg.openFresh(backend)];
        try {
          const cached = new StateStore(dbs[0]!, { ...defaultStateStoreOptions, valueCacheMax: 4 });
          const plain = new StateStore(dbs[1]!, defaultStateStoreOptions);
          for (const s of steps) {
            for (const [db, store] of [[dbs[0]!, cached], [dbs[1]!, plain]] as const) {
              try {
                db.transaction(() => {
                  store.commit(store.version + 1, s.updates);
                  if (s.fails) throw new SalusError('CORRUPT_DATA', 'the block fails');
                })();
              } catch {
                store.reload();
              }
            }
            for (const k of s.reads) expect(cached.get(k)).toEqual(plain.get(k));
          }
          expect(toHex(cached.root)).toBe(toHex(plain.root));
          for (let k = 0; k < 12; k++) expect(cached.get(utf8ToBytes(`k/${k}`))).toEqual(plain.get(utf8ToBytes(`k/${k}`)));
        } finally {
          for (const db of dbs) db.close();
        }
      }),
      { numRuns: backend === 'embedded' ? 100 : 6 },
    );
  });
});
