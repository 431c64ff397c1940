// Committed transactions per second of one Salus node, against the Ed25519 verification rate of one
// core measured in the same run (the ceiling). Pre-signed identity transactions go through
// chain.submit (decode, chain id, signature, duplicate check, nonce, checkTx) and are committed by
// the solo producer (propose, validate, execute, state tree, SQLite commit, recheck) — what the node
// really does, in-process, without HTTP. Rounds of throughput alternate with rounds of the ceiling
// so both see the same machine load; the ratio is median(throughput rounds) / median(ceiling rounds).
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openBenchNode, submitAndCommit } from '../lib/bench-node.js';
import { verifyRate, verifySamples } from '../lib/ceiling.js';
import { fail, log } from '../lib/cli.js';
import { tempDir } from '../lib/files.js';
import { loadMeter, machine, type LoadReport, type Machine } from '../lib/machine.js';
import { median, round } from '../lib/stats.js';
import { generateTxs } from '../lib/txgen.js';
import { WORKLOADS, isWorkload } from '../lib/txs.js';
import { uncachedRates, type FirstSightRates } from './first-sight.js';
import { instrumentedRound, type Breakdown } from './instrumented.js';

export const throughputDefaults = {
  txs: 50_000,
  warmup: 5_000,
  rounds: 5,
  block: 10_000,
  workload: WORKLOADS.join(','),
  admins: 16,
  ceilingMs: 500,
  breakdown: true,
  target: 0.7,
  keep: false,
  /** the node's storage: "embedded" or a postgres:// URL (each workload gets its own schema of it) */
  storage: 'embedded',
};
export type ThroughputFlags = typeof throughputDefaults;

export interface WorkloadResult {
  tx_bytes_median: number;
  txs_measured: number;
  burst_txs: number;
  blocks: number;
  mean_block_txs: number;
  committed_tx_per_s_median: number;
  committed_tx_per_s_rounds: number[];
  ceiling_verify_per_s_median: number;
  ceiling_verify_per_s_rounds: number[];
  ratio: number;
  target_ratio: number;
  pass: boolean;
  us_per_tx: { submit: number; commit: number; ceiling_verify: number };
  verify_per_s_uncached: FirstSightRates;
  breakdown_us_per_tx: Breakdown | undefined;
}

export interface ThroughputResult {
  bench: 'throughput';
  description: string;
  machine: Machine;
  load: LoadReport;
  flags: ThroughputFlags;
  target: string;
  ceiling_verify_per_s_median: number;
  workloads: Record<string, WorkloadResult>;
  pass: boolean;
}

export async function runThroughput(flags: ThroughputFlags): Promise<ThroughputResult> {
  const workloads = flags.workload.split(',').filter(Boolean);
  for (const w of workloads) if (!isWorkload(w)) fail(`unknown workload ${w}; known: ${WORKLOADS.join(', ')}`);
  if (flags.rounds < 1 || flags.txs < flags.rounds) fail('--txs must be at least --rounds');

  const meter = loadMeter();
  const results: Record<string, WorkloadResult> = {};
  const ceilingRounds: number[] = [];
  for (const workload of workloads) results[workload] = await runWorkload(flags, workload, ceilingRounds);

  const load = meter.stop();
  return {
    bench: 'throughput',
    description: `committed tx/s of one node (submit → checkTx → propose → execute → state tree → ${flags.storage === 'embedded' ? 'SQLite' : 'PostgreSQL'} commit) vs Ed25519 verify/s of one core, same run`,
    machine: machine(),
    load,
    flags,
    target: `committed tx/s >= ${flags.target} x ceiling (native Ed25519 verify/s, one core)`,
    ceiling_verify_per_s_median: round(median(ceilingRounds), 0),
    workloads: results,
    pass: Object.values(results).every((r) => r.pass),
  };
}

/** A PostgreSQL URL's schema made per workload (a schema holds one chain); "embedded" as it is. */
function storageFor(storage: string, workload: string): string {
  if (storage === 'embedded') return storage;
  const url = new URL(storage);
  url.searchParams.set('schema', `${url.searchParams.get('schema') ?? 'bench'}_${workload}`);
  return url.toString();
}

async function runWorkload(flags: ThroughputFlags, workload: string, ceilingRounds: number[]): Promise<WorkloadResult> {
  const perRound = Math.ceil(flags.txs / flags.rounds);
  const total = flags.warmup + flags.txs + (flags.breakdown ? perRound : 0);
  log(`[throughput] ${workload}: signing ${total} transactions…`);
  const txs = await generateTxs({ workload, n: total, adminCount: flags.admins });
  const sizes = txs.map((t) => t.length);
  const dir = tempDir('salus-bench-tp-');
  const b = openBenchNode({ dir, adminCount: flags.admins, options: { storage: storageFor(flags.storage, workload) } });
  try {
    // The ceiling: the node's own native Ed25519 (KeyObjects cached) over these transactions' sign bytes.
    const samples = verifySamples(txs, 2000);
    const ceiling = (): number => {
      const r = verifyRate(b.node.ed, samples, flags.ceilingMs);
      ceilingRounds.push(r);
      return r;
    };

    // Warm-up (JIT, SQLite page cache), not measured.
    submitAndCommit(b, txs.slice(0, flags.warmup), flags.block);
    let next = flags.warmup;

    const rounds: { txs: number; tx_per_s: number; submit_ms: number; commit_ms: number }[] = [];
    const wCeil = [ceiling()];
    for (let r = 0; r < flags.rounds; r++) {
      const batch = txs.slice(next, Math.min(next + perRound, flags.warmup + flags.txs));
      next += batch.length;
      const t0 = performance.now();
      const { submitMs, commitMs } = submitAndCommit(b, batch, flags.block);
      const ms = performance.now() - t0;
      rounds.push({ txs: batch.length, tx_per_s: (batch.length / ms) * 1000, submit_ms: submitMs, commit_ms: commitMs });
      wCeil.push(ceiling());
      log(`[throughput] ${workload} round ${r + 1}/${flags.rounds}: ${Math.round((batch.length / ms) * 1000)} tx/s (ceiling ${Math.round(wCeil.at(-1)!)}/s)`);
    }

    // One instrumented round: where the time goes inside submit and commit.
    const breakdown = flags.breakdown ? instrumentedRound(b, txs.slice(next), flags.block) : undefined;

    // Everything committed, and committed OK?
    const committed = b.counts.ok + b.counts.failed;
    if (committed !== total) fail(`committed ${committed} of ${total} transactions`);
    if (b.counts.failed > 0) fail(`${b.counts.failed} transactions failed: ${JSON.stringify(b.counts.codes)}`);

    // Uncached verification: a signer seen for the first time costs a KeyObject as well.
    const fresh = uncachedRates(txs.slice(0, Math.min(txs.length, 2000)));

    const tps = median(rounds.map((r) => r.tx_per_s));
    const ceil = median(wCeil);
    const totalTxs = rounds.reduce((s, r) => s + r.txs, 0);
    const submitMs = rounds.reduce((s, r) => s + r.submit_ms, 0);
    const commitMs = rounds.reduce((s, r) => s + r.commit_ms, 0);
    return {
      tx_bytes_median: median(sizes),
      txs_measured: totalTxs,
      burst_txs: flags.block,
      blocks: b.node.chain.lastHeight(),
      mean_block_txs: round(total / b.node.chain.lastHeight(), 0),
      committed_tx_per_s_median: round(tps, 0),
      committed_tx_per_s_rounds: rounds.map((r) => round(r.tx_per_s, 0)),
      ceiling_verify_per_s_median: round(ceil, 0),
      ceiling_verify_per_s_rounds: wCeil.map((x) => round(x, 0)),
      ratio: round(tps / ceil, 3),
      target_ratio: flags.target,
      pass: tps / ceil >= flags.target,
      us_per_tx: { submit: round((submitMs * 1000) / totalTxs, 1), commit: round((commitMs * 1000) / totalTxs, 1), ceiling_verify: round(1e6 / ceil, 1) },
      verify_per_s_uncached: fresh,
      breakdown_us_per_tx: breakdown,
    };
  } finally {
    await b.node.stop();
    if (!flags.keep) rmSync(dir, { recursive: true, force: true });
    else log(`[throughput] kept ${dir}`);
  }
}
