#!/usr/bin/env node
// A long run of one node: a million identity transactions committed in a child process (so its
// memory is the node's own), then
//   - disk bytes per committed transaction: the data directory (SQLite db + WAL + shm, after a WAL
//     checkpoint) divided by committed transactions, against the transactions' encoded size;
//   - the node's RSS (process.memoryUsage().rss, sampled after every block) after the run.
// Transactions are pre-signed by the parent into a file the child streams (8 MB buffer), so
// signing costs neither the node's time nor its memory.
//
//   node bench/out/ts/million.js [--txs 1000000] [--workload register_patient] [--block 10000] [--max-minutes 60]
//                                [--tx-file F (reused if it exists, else written and kept)] [--node-cache-max N (diagnostic)]
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BenchFailure, emit, log, runMain } from './lib/cli.js';
import { tempDir } from './lib/files.js';
import { parseFlags } from './lib/flags.js';
import { loadMeter, machine } from './lib/machine.js';
import { round } from './lib/stats.js';
import { generateTxs } from './lib/txgen.js';
import { millionChild, type ChildReport } from './million/child.js';
import { MB, millionDefaults, type MillionFlags } from './million/flags.js';

async function parent(flags: MillionFlags): Promise<void> {
  const meter = loadMeter();
  const dir = tempDir('salus-bench-million-');
  const file = flags.txFile || join(dir, 'txs.bin');
  if (!flags.txFile || !existsSync(file)) {
    log(`[million] signing ${flags.txs} ${flags.workload} transactions into ${file}…`);
    const t0 = performance.now();
    await generateTxs({ workload: flags.workload, n: flags.txs, adminCount: flags.admins, file });
    log(`[million]   signed in ${Math.round((performance.now() - t0) / 1000)} s (${Math.round(statSync(file).size / MB)} MB)`);
  }
  const args = [
    '--expose-gc',
    fileURLToPath(import.meta.url),
    '--child',
    '--dir', dir,
    '--tx-file', file,
    '--txs', String(flags.txs),
    '--block', String(flags.block),
    '--admins', String(flags.admins),
    '--sample-every', String(flags.sampleEvery),
    '--max-minutes', String(flags.maxMinutes),
    '--node-cache-max', String(flags.nodeCacheMax),
  ];
  const runMeter = loadMeter();
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d: Buffer) => (text += d.toString()));
    c.on('exit', (code) => (code === 0 ? resolve(text) : reject(new BenchFailure(`node process exited with ${code}`))));
  });
  const r = JSON.parse(out) as ChildReport;
  const runLoad = runMeter.stop(r.cpu_ms);
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  else log(`[million] kept ${dir}`);

  const completed = r.committed >= flags.txs;
  const diskPerTx = r.disk.bytes_after_checkpoint / r.committed;
  const diskRatio = diskPerTx / r.tx_bytes_mean;
  const rssMb = r.memory.rss_final_mb;
  emit({
    bench: 'million',
    description: `${r.committed} ${flags.workload} transactions committed by one node in a child process: disk bytes per tx and RSS`,
    machine: machine(),
    load: { ...meter.stop(r.cpu_ms), node_run: runLoad },
    flags: { ...flags, child: undefined, dir: undefined },
    node_options: r.node_options,
    completed,
    completed_note: completed ? undefined : `stopped after ${flags.maxMinutes} min at ${r.committed} of ${flags.txs} transactions; figures are at that point`,
    committed: r.committed,
    failed: r.failed,
    height: r.height,
    run_seconds: r.run_seconds,
    committed_tx_per_s_overall: round(r.committed / r.run_seconds, 0),
    tx_bytes_mean: round(r.tx_bytes_mean, 1),
    disk: {
      target: `data dir bytes per committed tx <= ${flags.targetDiskRatio} x encoded tx size`,
      bytes_after_checkpoint: r.disk.bytes_after_checkpoint,
      files: r.disk.files,
      bytes_per_tx: round(diskPerTx, 1),
      ratio_to_tx_bytes: round(diskRatio, 2),
      pass: diskRatio <= flags.targetDiskRatio && completed,
      by_table_bytes_per_tx: r.disk.by_table_bytes_per_tx,
      freelist_bytes: r.disk.freelist_bytes,
    },
    rss: {
      target: `rss <= ${flags.targetRssMb} MB after ${flags.txs} transactions`,
      rss_final_mb: rssMb,
      rss_max_mb: r.memory.rss_max_mb,
      rss_after_gc_mb: r.memory.rss_after_gc_mb,
      heap_used_after_gc_mb: r.memory.heap_used_after_gc_mb,
      heap_used_final_mb: r.memory.heap_used_final_mb,
      external_final_mb: r.memory.external_final_mb,
      ratio_to_target: round(rssMb / flags.targetRssMb, 2),
      // RSS only grows with the run: over the target before the end is a failure; under it is a pass only at the end
      pass: rssMb <= flags.targetRssMb && completed,
      node_caches: r.memory.caches,
    },
    checkpoints: r.checkpoints,
    pass: completed && diskRatio <= flags.targetDiskRatio && rssMb <= flags.targetRssMb,
  });
}

runMain(async () => {
  const flags = parseFlags(millionDefaults);
  if (flags.child) await millionChild(flags);
  else await parent(flags);
});
