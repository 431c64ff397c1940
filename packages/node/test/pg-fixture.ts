import { afterAll, beforeAll } from 'vitest';
import { startPgCluster, type PgCluster } from '../src/storage/pg-cluster.js';
import { openDb } from '../src/storage/db.js';
import { openPgDb } from '../src/storage/pg-open.js';
import type { SqlDb } from '../src/storage/sql.js';

/** The ledger storage backends a storage-level test runs against. */
export const BACKENDS = ['embedded', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

let schemas = 0;

export interface PgFixture {
  readonly cluster: () => PgCluster;
  /** a storage URL of a schema no other test of this file used */
  freshUrl(): string;
  /** a new, empty ledger database: in-memory SQLite, or a fresh schema of the cluster */
  openFresh(backend: Backend): SqlDb;
}

/** One throw-away PostgreSQL cluster for the calling test file, started before its tests and removed after. */
export function usePgCluster(): PgFixture {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.stop());
  const fixture: PgFixture = {
    cluster: () => cluster!,
    freshUrl: () => cluster!.url(`t${process.pid}_${++schemas}`),
    openFresh: (backend) => (backend === 'embedded' ? openDb(':memory:', { memory: true }) : openPgDb(fixture.freshUrl())),
  };
  return fixture;
}
