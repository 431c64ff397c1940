#!/usr/bin/env node
// A long run of one node: a million identity transactions committed in a child process (so its
// memory is the node's own), then
//   - disk bytes per committed transaction: the data directory (SQLite db + WAL + shm, after a WAL
//     checkpoint) divided by committed transactions, against the transactions' encoded size;
//   - the node's RSS (process.memoryUsage().rss, sampled after every block) after the run.
// Transactions are pre-signed by the parent into a file the child streams (8 MB buffer), so
// signing costs neither the node's time nor its memory.
//
//   node bench/million.mjs [--txs 1000000] [--workload register_patient] [--block 10000] [--max-minutes 60]
//                          [--tx-file F (reused if it exists, else written and kept)] [--node-cache-max N (diagnostic)]
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dirBytes,
  emit,
  fail,
  generateTxs,
  loadMeter,
  log,
  machine,
  openBenchNode,
  parseFlags,
  performance,
  readTxFile,
  round,
  submitAndCommit,
  tempDir,
} from './lib.mjs';

const flags = parseFlags({
  txs: 1_000_000,
  workload: 'register_patient',
  block: 10_000,
  admins: 16,
  sampleEvery: 100_000,
  targetDiskRatio: 2,
  targetRssMb: 300,
  keep: false,
  txFile: '',
  // stop (and report how far it got) when the node has not finished within this many minutes
  maxMinutes: 60,
  // diagnostic: the node's state-tree cache size (StateStoreOptions.nodeCacheMax); -1 = the node's default
  nodeCacheMax: -1,
  // internal: the child process
  child: false,
  dir: '',
});

const MB = 1024 * 1024;

if (flags.child) await child();
else await parent();

async function parent() {
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
  const out = await new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.on('exit', (code) => (code === 0 ? resolve(text) : fail(`node process exited with ${code}`)));
  });
  const r = JSON.parse(out);
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

async function child() {
  const cpu0 = process.cpuUsage();
  const options = flags.nodeCacheMax >= 0 ? { state: { nodeCacheMax: flags.nodeCacheMax } } : {};
  const b = openBenchNode({ dir: flags.dir, adminCount: flags.admins, options });
  const deadline = performance.now() + flags.maxMinutes * 60_000;
  const mem = () => process.memoryUsage();
  let rssMax = 0;
  let done = 0;
  let txBytes = 0;
  const checkpoints = [];
  const t0 = performance.now();
  let lastT = t0;
  let lastN = 0;
  let nextSample = flags.sampleEvery;
  for (let batch of readTxFile(flags.txFile, flags.block)) {
    if (done >= flags.txs) break;
    if (done + batch.length > flags.txs) batch = batch.slice(0, flags.txs - done);
    for (const t of batch) txBytes += t.length;
    submitAndCommit(b, batch, flags.block);
    done += batch.length;
    const m = mem();
    if (m.rss > rssMax) rssMax = m.rss;
    if (done >= nextSample || done === flags.txs) {
      nextSample += flags.sampleEvery;
      const now = performance.now();
      const cp = {
        txs: done,
        elapsed_s: round((now - t0) / 1000, 1),
        window_tx_per_s: round(((done - lastN) / (now - lastT)) * 1000, 0),
        rss_mb: round(m.rss / MB, 1),
        heap_used_mb: round(m.heapUsed / MB, 1),
        external_mb: round(m.external / MB, 1),
        data_dir_bytes_per_tx: round(dirBytes(b.dataDir).total / done, 0),
      };
      checkpoints.push(cp);
      log(`[million] ${done} txs, ${cp.window_tx_per_s} tx/s, rss ${cp.rss_mb} MB, heap ${cp.heap_used_mb} MB, disk ${cp.data_dir_bytes_per_tx} B/tx`);
      lastT = now;
      lastN = done;
    }
    if (performance.now() > deadline) {
      log(`[million] time budget of ${flags.maxMinutes} min spent at ${done} transactions; stopping`);
      break;
    }
  }
  const runSeconds = (performance.now() - t0) / 1000;
  const mFinal = mem();
  const caches = { state_tree_nodes: b.node.state.cache.size, verified_set: b.node.chain.verified.size, mempool: b.node.chain.mempool.size };
  globalThis.gc?.();
  const rssAfterGc = mem().rss;

  // Disk: checkpoint the WAL into the database, then everything in the data directory counts.
  b.node.db.pragma('wal_checkpoint(TRUNCATE)');
  const disk = dirBytes(b.dataDir);
  const pageSize = b.node.db.pragma('page_size', { simple: true });
  const freelist = b.node.db.pragma('freelist_count', { simple: true }) * pageSize;
  const committed = b.counts.ok + b.counts.failed;
  let byTable = {};
  try {
    const rows = b.node.db.prepare('SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload, SUM(unused) AS unused FROM dbstat GROUP BY name ORDER BY bytes DESC').all();
    for (const row of rows) {
      byTable[row.name] = { bytes: round(row.bytes / committed, 1), payload: round(row.payload / committed, 1), unused: round(row.unused / committed, 1) };
    }
  } catch (e) {
    byTable = { error: String(e?.message ?? e) };
  }
  const height = b.node.chain.lastHeight();
  await b.node.stop();
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    JSON.stringify({
      node_options: { state: b.node.opts.state },
      committed,
      failed: b.counts.failed,
      failed_codes: b.counts.codes,
      height,
      run_seconds: runSeconds,
      tx_bytes_mean: txBytes / done,
      cpu_ms: (cpu.user + cpu.system) / 1000,
      disk: { bytes_after_checkpoint: disk.total, files: disk.files, freelist_bytes: freelist, by_table_bytes_per_tx: byTable },
      memory: {
        rss_final_mb: round(mFinal.rss / MB, 1),
        rss_max_mb: round(rssMax / MB, 1),
        rss_after_gc_mb: round(rssAfterGc / MB, 1),
        heap_used_final_mb: round(mFinal.heapUsed / MB, 1),
        external_final_mb: round(mFinal.external / MB, 1),
        caches,
      },
      checkpoints,
    }) + '\n',
  );
}
