// The single-node figure on the PostgreSQL storage backend, beside the embedded one of the same run:
// the throughput benchmark again, its node's ledger and blob store in a schema of a throw-away
// PostgreSQL cluster (initdb and pg_ctl on a free loopback port, fsync on, removed afterwards).
import { log } from '../lib/cli.js';
import { startPgCluster } from '../lib/internals.js';
import { round } from '../lib/stats.js';
import { runThroughput, type ThroughputFlags, type ThroughputResult } from '../throughput/run.js';

export async function runThroughputOnPostgres(flags: ThroughputFlags): Promise<ThroughputResult> {
  const cluster = await startPgCluster();
  log(`[ledger] throughput on PostgreSQL: a throw-away cluster on port ${cluster.port}`);
  try {
    return await runThroughput({ ...flags, storage: cluster.url('bench') });
  } finally {
    cluster.stop();
  }
}

export interface StorageBackends {
  embedded_tx_per_s: number | null;
  postgres_tx_per_s: number | null;
  postgres_vs_embedded: number | null;
  /** each run's tx/s ÷ the Ed25519 ceiling measured between its own rounds: comparable when the machine's load changed between the two runs */
  vs_own_ceiling: { embedded: number | null; postgres: number | null };
  us_per_tx: { embedded: unknown; postgres: unknown };
  workload: string;
}

/** The two single-node figures side by side (register_patient, in-process, same flags). */
export function storageBackends(embedded: ThroughputResult | undefined, postgres: ThroughputResult | undefined, workload = 'register_patient'): StorageBackends {
  const e = embedded?.workloads[workload];
  const p = postgres?.workloads[workload];
  const ratio = e && p ? round(p.committed_tx_per_s_median / e.committed_tx_per_s_median, 3) : null;
  return {
    embedded_tx_per_s: e?.committed_tx_per_s_median ?? null,
    postgres_tx_per_s: p?.committed_tx_per_s_median ?? null,
    postgres_vs_embedded: ratio,
    vs_own_ceiling: { embedded: e?.ratio ?? null, postgres: p?.ratio ?? null },
    us_per_tx: { embedded: e?.us_per_tx ?? null, postgres: p?.us_per_tx ?? null },
    workload,
  };
}
