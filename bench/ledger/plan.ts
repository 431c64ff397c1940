// What the ledger suite runs, at which scale: the flags of each part for the full run (under ~30
// minutes on 2 cores) and for --quick (~3–5 minutes).
import { join } from 'node:path';
import { OUT_DIR } from '../lib/paths.js';
import { networkDefaults, type NetworkFlags } from '../network/flags.js';
import { recordsDefaults, recordsQuickDefaults, type RecordsFlags } from '../records/flags.js';
import { throughputDefaults, type ThroughputFlags } from '../throughput/run.js';
import { stateSyncDefaults, stateSyncQuickDefaults, type StateSyncFlags } from './state-sync.js';
import { channelsDefaults, channelsQuickDefaults, type ChannelsFlags } from './channels.js';
import { faultsDefaults, faultsQuickDefaults, type FaultsFlags } from './faults.js';

export const PARTS = ['throughput', 'throughput_pg', 'pg_peer', 'network', 'records', 'state_sync', 'channels', 'faults'] as const;
export type Part = (typeof PARTS)[number];

export interface LedgerPlan {
  /** where the parts write their own result files (network.json, records.json, …) */
  partsOut: string;
  throughput: ThroughputFlags;
  /** the PostgreSQL peer: run.sh N BATCH */
  peer: { n: number; batch: number; timeoutS: number };
  network: NetworkFlags;
  records: RecordsFlags;
  /** joining at the height of N committed transactions: by state sync against by block replay */
  stateSync: StateSyncFlags;
  /** total throughput of 1 … N chains joined by channels, in the multi-chain simulation */
  channels: ChannelsFlags;
  /** nothing lost under load and faults: a kill and restart, a full disk, resubmission */
  faults: FaultsFlags;
}

export function ledgerPlan(quick: boolean): LedgerPlan {
  const partsOut = join(OUT_DIR, 'ledger');
  return {
    partsOut,
    // one node in this process, register_patient (~276 B), beside the peer's ~250 B entries
    throughput: { ...throughputDefaults, workload: 'register_patient', ...(quick ? { txs: 4000, warmup: 500, rounds: 2, ceilingMs: 200 } : { txs: 50_000 }) },
    peer: { n: quick ? 10_000 : 50_000, batch: 100, timeoutS: 600 },
    // 4 validator processes, default consensus timeouts; the bulk phase is cut so the run stays bounded
    network: {
      ...networkDefaults,
      out: partsOut,
      ...(quick ? { txs: 60_000, satS: 15, warmS: 3, latS: 10, healthyS: 8, downS: 10, afterS: 5, bulkMaxS: 15, catchupTimeoutS: 60, ceilingMs: 200 } : { txs: 300_000, bulkMaxS: 480, catchupTimeoutS: 120 }),
    },
    records: { quick, ...recordsDefaults, ...(quick ? recordsQuickDefaults : {}), out: partsOut },
    stateSync: quick ? stateSyncQuickDefaults : stateSyncDefaults,
    channels: quick ? channelsQuickDefaults : channelsDefaults,
    faults: quick ? faultsQuickDefaults : faultsDefaults,
  };
}
