// The ledger figures from the parts' results: each beside its target and the ceiling or peer
// measured in the same run. ratio = measured ÷ the target's threshold for an absolute target
// (≥ 1 meets a "≥" target, ≤ 1 meets a "≤" one), measured ÷ reference for a target relative to it.
import { round } from '../lib/stats.js';
import type { NetworkResult } from '../network/result.js';
import type { RecordsResult } from '../records/run.js';
import type { ThroughputResult } from '../throughput/run.js';
import type { PeerResult } from './peer.js';
import type { Part } from './plan.js';
import { LEDGER_TARGETS as T } from './targets.js';

export interface LedgerFigure {
  figure: string;
  target: string;
  measured: number | null;
  reference: unknown;
  ratio: number | null;
  pass: boolean;
}

export interface PartResults {
  throughput?: ThroughputResult;
  peer?: PeerResult;
  network?: NetworkResult;
  records?: RecordsResult;
}

const num = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);
const maxOf = (xs: readonly (number | null | undefined)[]): number | null => {
  const v = xs.map(num).filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};

function atMost(figure: string, target: number, unit: string, measured: number | null | undefined, reference: unknown): LedgerFigure {
  const m = num(measured);
  return { figure, target: `<= ${target} ${unit}`, measured: m, reference, ratio: m === null ? null : round(m / target, 3), pass: m !== null && m <= target };
}
function atLeast(figure: string, target: number, unit: string, measured: number | null | undefined, reference: unknown): LedgerFigure {
  const m = num(measured);
  return { figure, target: `>= ${target} ${unit}`, measured: m, reference, ratio: m === null ? null : round(m / target, 3), pass: m !== null && m >= target };
}
function relative(figure: string, factor: number, of: string, measured: number | null | undefined, refValue: number | null | undefined, reference: unknown): LedgerFigure {
  const m = num(measured);
  const r = num(refValue);
  const ratio = m === null || r === null || r <= 0 ? null : m / r;
  return { figure, target: `>= ${factor} x ${of}`, measured: m, reference, ratio: ratio === null ? null : round(ratio, 3), pass: ratio !== null && ratio >= factor };
}

/** The figures of the parts in `wanted` (a part not run is not listed; one that failed is, unmeasured). */
export function ledgerFigures({ throughput, peer, network, records }: PartResults, wanted: ReadonlySet<Part>): LedgerFigure[] {
  const sat = network?.phases.saturation;
  const lat = network?.phases.latency;
  const kr = network?.phases.killrestart;
  const ceil = network?.ceiling;
  const verifyUs = ceil ? round(1e6 / ceil.verify_per_s_one_core_median, 1) : null;
  const cpuEach = sat?.cpu_after_warm_up.cpu_us_per_committed_tx?.validators_each ?? [];
  const disk = network?.disk;
  const rss = network?.rss;
  const tp = throughput?.workloads.register_patient;
  const rd = records?.phases.read;
  const wr = records?.phases.write;
  const encryptMs = rd?.client_crypto_cpu_ms.encrypt_to_6_recipients;
  const networkFigures: LedgerFigure[] = [
    atMost('CPU per committed transaction, each validator, at saturation (4 validators; the worst one)', T.cpuUsPerTx, 'us', maxOf(cpuEach), {
      validators_each_us: cpuEach,
      floor_one_native_ed25519_verify_us: verifyUs,
      how: "each validator process's CPU (/proc/<pid>/stat) over the saturation window after its warm-up ÷ the transactions committed in it",
    }),
    atLeast('committed tx/s at saturation, 4 validators (closed loop over HTTP)', T.saturationTxPerS, 'tx/s', sat?.tx_per_s, {
      ceiling_tx_per_s: ceil?.ceiling_tx_per_s ?? null,
      ceiling: ceil?.formula ?? null,
      verify_per_s_one_core: ceil?.verify_per_s_one_core_median ?? null,
      fraction_of_ceiling: sat && ceil ? round(sat.tx_per_s / ceil.ceiling_tx_per_s, 3) : null,
    }),
    atMost(`commit latency p50 at half the saturation rate (${lat?.offered_tx_per_s ?? '?'} tx/s offered, open loop)`, T.latencyP50Ms, 'ms', lat?.latency.p50_ms, { saturation_tx_per_s: sat?.tx_per_s ?? null, mean_block_interval_ms: lat?.committed.mean_block_interval_ms ?? null, n: lat?.latency.n ?? null }),
    atMost('commit latency p99 at half the saturation rate', T.latencyP99Ms, 'ms', lat?.latency.p99_ms, { p50_ms: lat?.latency.p50_ms ?? null, max_ms: lat?.latency.max_ms ?? null }),
    relative(`committed tx/s with validator ${kr?.killed_node ?? '?'} of 4 SIGKILLed`, T.oneDownRatio, 'healthy (same run)', kr?.one_down.tx_per_s, kr?.healthy.tx_per_s, { healthy_tx_per_s: kr?.healthy.tx_per_s ?? null }),
    atMost('SIGKILL of one validator → first block committed by the other three', T.firstBlockS, 's', kr?.first_block_after_kill.seconds, {
      healthy_mean_block_interval_s: kr?.healthy.mean_block_interval_ms === undefined ? null : round(kr.healthy.mean_block_interval_ms / 1000, 3),
      commit_round: kr?.first_block_after_kill.round ?? null,
      height: kr?.first_block_after_kill.height ?? null,
      killed_validator_height: kr?.first_block_after_kill.killed_validator_height ?? null,
    }),
    atMost('restarted validator at the tip, after its API is up', T.tipAfterApiS, 's', kr?.catchup.api_to_tip_s, {
      missed_blocks: kr?.catchup.missed_blocks ?? null,
      missed_txs: kr?.catchup.missed_txs ?? null,
      network_while_down: kr?.catchup.network_while_down ?? null,
      process_start_to_api_s: kr?.catchup.process_start_to_api_s ?? null,
    }),
    atMost(`memory per validator (RSS) after ${rss?.committed_txs ?? '?'} committed txs (the worst one)`, T.rssMb, 'MB', maxOf(rss?.validators.map((v) => v.rss_mb) ?? []), {
      validators_mb: rss?.validators.map((v) => v.rss_mb) ?? null,
      peak_over_run_mb: rss?.max_rss_over_run_mb ?? null,
      note: 'the issue asks after 1,000,000 transactions; nothing extrapolated',
    }),
    atMost(`disk bytes per committed transaction, each validator's data directory (${disk?.committed_txs ?? '?'} txs; the worst one)`, T.diskBytesPerTx, 'B', maxOf(disk?.validators.map((v) => v.bytes_per_committed_tx) ?? []), {
      tx_bytes_median: disk?.tx_bytes_median ?? null,
      ratio_to_tx_bytes: disk && maxOf(disk.validators.map((v) => v.bytes_per_committed_tx)) !== null ? round(maxOf(disk.validators.map((v) => v.bytes_per_committed_tx))! / disk.tx_bytes_median, 2) : null,
      validators_b: disk?.validators.map((v) => v.bytes_per_committed_tx) ?? null,
    }),
  ];
  const peerFigure = relative('one node: committed tx/s (in-process, register_patient) vs the PostgreSQL hash-chain peer', T.peerRatio, 'the peer (same run)', tp?.committed_tx_per_s_median, peer?.tx_per_s, {
    peer: peer ?? null,
    node_tx_bytes_median: tp?.tx_bytes_median ?? null,
    node_ceiling_verify_per_s: tp?.ceiling_verify_per_s_median ?? null,
  });
  const recordsFigures: LedgerFigure[] = [
    atLeast(`records writes/s over 4 nodes (${wr?.writers ?? '?'} writers, FAST consensus timeouts)`, T.recordsWritesPerS, 'writes/s', wr?.writes_per_s_total, {
      by_node: wr?.writes_per_s_by_node ?? null,
      client_encrypt_to_6_per_s_one_core: encryptMs ? round(1000 / encryptMs, 0) : null,
      latency_p50_ms: wr?.write_latency_ms.p50 ?? null,
    }),
    atLeast(`records reads/s on one node (${rd?.read.concurrency ?? '?'} readers, SDK end to end)`, T.recordsReadsPerS, 'reads/s', rd?.read.ops_per_s, {
      http_ceiling_status_per_s: rd?.ceiling_status.ops_per_s ?? null,
      node_part_reads_per_s: rd?.read_node_part_only.ops_per_s ?? null,
      latency_p50_ms: rd?.read.latency_ms.p50 ?? null,
    }),
  ];
  return [
    ...(wanted.has('network') ? networkFigures : []),
    ...(wanted.has('throughput') || wanted.has('pg_peer') ? [peerFigure] : []),
    ...(wanted.has('records') ? recordsFigures : []),
  ];
}
