// The node of the million run, in a child process (so its memory is the node's own): streams the
// pre-signed file through one in-process node, samples its RSS after every block, and reports disk
// and memory on stdout as one JSON line for the parent.
import { performance } from 'node:perf_hooks';
import { openBenchNode, submitAndCommit } from '../lib/bench-node.js';
import { log, messageOf } from '../lib/cli.js';
import { dirBytes } from '../lib/files.js';
import { chainInternals, stateInternals } from '../lib/node-internals.js';
import { round } from '../lib/stats.js';
import { readTxFile } from '../lib/txfile.js';
import { MB, type MillionFlags } from './flags.js';
import type Database from 'better-sqlite3';

export interface Checkpoint {
  txs: number;
  elapsed_s: number;
  window_tx_per_s: number;
  rss_mb: number;
  heap_used_mb: number;
  external_mb: number;
  data_dir_bytes_per_tx: number;
}

/** What the child reports to the parent. */
export interface ChildReport {
  node_options: { state: unknown };
  committed: number;
  failed: number;
  failed_codes: Record<string, number>;
  height: number;
  run_seconds: number;
  tx_bytes_mean: number;
  cpu_ms: number;
  disk: { bytes_after_checkpoint: number; files: Record<string, number>; freelist_bytes: number; by_table_bytes_per_tx: Record<string, unknown> };
  memory: { rss_final_mb: number; rss_max_mb: number; rss_after_gc_mb: number; heap_used_after_gc_mb: number; heap_used_final_mb: number; external_final_mb: number; caches: Record<string, number> };
  checkpoints: Checkpoint[];
}

export async function millionChild(flags: MillionFlags): Promise<void> {
  const cpu0 = process.cpuUsage();
  const options = flags.nodeCacheMax >= 0 ? { state: { nodeCacheMax: flags.nodeCacheMax } } : {};
  const b = openBenchNode({ dir: flags.dir, adminCount: flags.admins, options });
  const deadline = performance.now() + flags.maxMinutes * 60_000;
  const mem = (): NodeJS.MemoryUsage => process.memoryUsage();
  let rssMax = 0;
  let done = 0;
  let txBytes = 0;
  const checkpoints: Checkpoint[] = [];
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
      const cp: Checkpoint = {
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
  const caches = { state_tree_nodes: stateInternals(b.node).cache.size, verified_set: chainInternals(b.node).verified.size, mempool: b.node.chain.mempool.size };
  (globalThis as { gc?: () => void }).gc?.();
  const afterGc = mem();
  const rssAfterGc = afterGc.rss;

  // Disk: checkpoint the WAL into the database, then everything in the data directory counts.
  // this bench runs the embedded store (SQLite), whose pages it reads
  const db = b.node.db as Database.Database;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const disk = dirBytes(b.dataDir);
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const freelist = Number(db.pragma('freelist_count', { simple: true })) * pageSize;
  const committed = b.counts.ok + b.counts.failed;
  let byTable: Record<string, unknown> = {};
  try {
    const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload, SUM(unused) AS unused FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number; payload: number; unused: number }[];
    for (const row of rows) {
      byTable[row.name] = { bytes: round(row.bytes / committed, 1), payload: round(row.payload / committed, 1), unused: round(row.unused / committed, 1) };
    }
  } catch (e) {
    byTable = { error: messageOf(e) };
  }
  const height = b.node.chain.lastHeight();
  await b.node.stop();
  const cpu = process.cpuUsage(cpu0);
  const report: ChildReport = {
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
      heap_used_after_gc_mb: round(afterGc.heapUsed / MB, 1),
      heap_used_final_mb: round(mFinal.heapUsed / MB, 1),
      external_final_mb: round(mFinal.external / MB, 1),
      caches,
    },
    checkpoints,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}
