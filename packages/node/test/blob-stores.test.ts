import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import pg from 'pg';
import type { BlobStore } from '@salus/module';
import { SqliteBlobStore, blobSha256 } from '../src/blobs/store.js';
import { PostgresBlobStore } from '../src/blobs/pg-store.js';
import { parsePgLocation } from '../src/storage/pg-open.js';
import Database from 'better-sqlite3';
import { tempDir } from './harness.js';
import { usePgCluster } from './pg-fixture.js';

/** The blob store's contract on both backends: the embedded SQLite file and the node's PostgreSQL schema. */
const cluster = usePgCluster();
const dirs: string[] = [];
const stores: BlobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Made {
  readonly store: BlobStore;
  /** overwrites a stored blob's bytes behind the store's back */
  readonly tamper: (hash: string, bytes: Buffer) => Promise<void>;
}

const clock = { t: 1_000_000, now: () => clock.t };

async function make(kind: 'embedded' | 'postgres'): Promise<Made> {
  if (kind === 'embedded') {
    const dir = tempDir('salus-blobs-');
    dirs.push(dir);
    const file = join(dir, 'blobs.sqlite');
    const store = new SqliteBlobStore(file, clock);
    stores.push(store);
    return {
      store,
      tamper: async (hash, bytes) => {
        const db = new Database(file);
        db.prepare('UPDATE blobs SET bytes = ? WHERE hash = ?').run(bytes, hash);
        db.close();
      },
    };
  }
  const url = cluster.freshUrl();
  const store = new PostgresBlobStore(url, clock);
  stores.push(store);
  return {
    store,
    tamper: async (hash, bytes) => {
      const { connectionString, schema } = parsePgLocation(url);
      const c = new pg.Client({ connectionString });
      await c.connect();
      await c.query(`UPDATE ${schema}.blobs SET bytes = $1 WHERE hash = $2`, [bytes, hash]);
      await c.end();
    },
  };
}

const blob = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { bytes, hash: blobSha256(bytes) };
};

describe.each(['embedded', 'postgres'] as const)('the %s blob store', (kind) => {
  it('stores by content address, merges a second put, pins, collects old unpinned uploads, and erases a patient', async () => {
    const { store } = await make(kind);
    const a = blob('ciphertext a');
    const b = blob('ciphertext b');
    const c = blob('ciphertext c');
    await store.put(a.hash, a.bytes, null);
    await store.put(a.hash, a.bytes, 'patient-1'); // idempotent; the patient is learnt
    await store.put(b.hash, b.bytes, 'patient-1', true);
    clock.t += 10_000;
    await store.put(c.hash, c.bytes, 'patient-2');
    expect(await store.has(a.hash)).toBe(true);
    expect(Buffer.from((await store.get(b.hash))!).toString()).toBe('ciphertext b');
    expect(await store.get(blob('absent').hash)).toBeUndefined();
    expect(await store.stats()).toEqual({ blobs: 3, bytes: a.bytes.length + b.bytes.length + c.bytes.length });
    // uploads older than 5 s and not pinned: only a
    expect(await store.collect(5_000, clock.t)).toBe(1);
    expect(await store.has(a.hash)).toBe(false);
    await store.pin([c.hash], null);
    expect(await store.collect(0, clock.t + 1)).toBe(0);
    expect(await store.deletePatient('patient-1')).toBe(1);
    expect(await store.has(b.hash)).toBe(false);
    expect(await store.deletePatient('patient-2')).toBe(1);
    expect(await store.stats()).toEqual({ blobs: 0, bytes: 0 });
  });

  it('refuses bytes that do not hash to the address, and finds a changed stored blob instead of serving it', async () => {
    const { store, tamper } = await make(kind);
    const a = blob('ciphertext a');
    await expect(store.put(blob('other').hash, a.bytes, null)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    await store.put(a.hash, a.bytes, null);
    await tamper(a.hash, Buffer.from('ciphertext A'));
    await expect(store.get(a.hash)).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
  });
});

describe('the PostgreSQL blob store, unreachable', () => {
  it('fails each operation with STORAGE_UNAVAILABLE and leaves the process running', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const store = new PostgresBlobStore(`postgres://postgres@127.0.0.1:${port}/postgres`, clock, { timeoutMs: 2_000 });
    stores.push(store);
    await expect(store.has(blob('a').hash)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(store.stats()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});
