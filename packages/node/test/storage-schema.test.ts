import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SalusError } from '@salus/core';
import { SCHEMA_VERSION, openDb } from '../src/storage/db.js';

describe('storage schema', () => {
  it('a data directory made by a build with another schema is refused by name, and left as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'salus-schema-'));
    try {
      const file = join(dir, 'chain.sqlite');
      const old = new Database(file);
      old.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID; CREATE TABLE smt_nodes (hash BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID;");
      old.prepare("INSERT INTO meta (k, v) VALUES ('schema', ?)").run(Buffer.from(String(SCHEMA_VERSION - 1)));
      old.close();
      let err: unknown;
      try {
        openDb(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SalusError);
      expect((err as SalusError).code).toBe('CORRUPT_DATA');
      expect((err as SalusError).message).toContain(`schema ${SCHEMA_VERSION - 1}, this build reads ${SCHEMA_VERSION}`);
      const after = new Database(file, { readonly: true });
      const tables = after.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
      after.close();
      expect(tables).toEqual(['meta', 'smt_nodes']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a new data directory gets the current schema and opens again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'salus-schema-'));
    try {
      const file = join(dir, 'chain.sqlite');
      openDb(file).close();
      const db = openDb(file);
      expect(db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'schema'").get()!.v.toString()).toBe(String(SCHEMA_VERSION));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
