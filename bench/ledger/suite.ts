// The ledger suite: the ledger figures of the performance issue, in one process tree, each beside its
// target and the ceiling or peer measured in the same run. It runs, one after another, the throughput
// benchmark (one node in this process), the PostgreSQL peer, the network benchmark (4 validator
// processes: saturation, latency, kill and restart, bulk) and the records benchmark (4 validator
// processes), each through the function its own CLI calls; a part that fails is recorded and the
// others still run. Prints one JSON object on stdout and writes bench/out/ledger.json; the parts'
// own results go to bench/out/ledger/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emit, fail, log, messageOf } from '../lib/cli.js';
import { loadMeter, machine } from '../lib/machine.js';
import { OUT_DIR } from '../lib/paths.js';
import { round } from '../lib/stats.js';
import { runNetwork } from '../network/run.js';
import { runRecords } from '../records/run.js';
import { runThroughput } from '../throughput/run.js';
import { ledgerFigures, type PartResults } from './figures.js';
import { PEER_SCRIPT, runPgPeer } from './peer.js';
import { PARTS, ledgerPlan, type Part } from './plan.js';
import { runThroughputOnPostgres, storageBackends } from './storage.js';
import { runStateSync } from './state-sync.js';
import { runChannelScaling } from './channels.js';
import { runFaults } from './faults.js';

interface PartStatus {
  ran: boolean;
  seconds?: number;
  file?: string;
  error?: string;
  pass?: boolean;
}

/** Runs the suite (the parts named in `only`, all when empty); returns the exit status. */
export async function runLedgerSuite(o: { quick: boolean; only: string; strict: boolean }): Promise<number> {
  const names = o.only ? o.only.split(',') : [...PARTS];
  for (const p of names) if (!(PARTS as readonly string[]).includes(p)) fail(`unknown part ${p} of the ledger suite; known: ${PARTS.join(', ')}`);
  const wanted = new Set(names as Part[]);
  const plan = ledgerPlan(o.quick);
  mkdirSync(plan.partsOut, { recursive: true });
  const meter = loadMeter();
  const mach = machine();
  const results: PartResults = {};
  const parts = Object.fromEntries(PARTS.map((p) => [p, { ran: false } as PartStatus])) as Record<Part, PartStatus>;
  const savePart = (name: string, value: unknown): string => {
    const file = join(plan.partsOut, `${name}.json`);
    writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
    return file;
  };
  const run = async <T>(part: Part, f: () => Promise<T>, file: (r: T) => string, pass: (r: T) => boolean | undefined): Promise<T | undefined> => {
    if (!wanted.has(part)) return undefined;
    log(`\n=== [ledger] ${part}`);
    const t0 = performance.now();
    const status = parts[part];
    status.ran = true;
    try {
      const r = await f();
      status.file = file(r);
      status.pass = pass(r);
      return r;
    } catch (e) {
      status.error = messageOf(e);
      log(`[ledger] ${part} failed: ${status.error}`);
      return undefined;
    } finally {
      status.seconds = round((performance.now() - t0) / 1000, 1);
    }
  };

  results.throughput = await run('throughput', () => runThroughput(plan.throughput), (r) => savePart('throughput', r), (r) => r.pass);
  // the same single-node run with its storage on PostgreSQL (storage: postgres://…), beside the embedded one
  const onPostgres = await run('throughput_pg', () => runThroughputOnPostgres(plan.throughput), (r) => savePart('throughput_pg', r), () => undefined);
  results.peer = await run('pg_peer', () => runPgPeer(plan.peer.n, plan.peer.batch, plan.peer.timeoutS), (r) => savePart('pg_peer', r), () => undefined);
  results.network = await run('network', () => runNetwork(plan.network), () => join(plan.partsOut, 'network.json'), (r) => r.pass);
  results.records = await run('records', () => runRecords(plan.records), () => join(plan.partsOut, 'records.json'), (r) => r.summary?.all_targets_met);
  // joining by state sync against joining by block replay, at the same height in the same run (no target)
  const stateSync = await run('state_sync', () => runStateSync(plan.stateSync), (r) => savePart('state_sync', r), () => undefined);
  // scale-out by channels: total throughput of 1 … 64 chains in the multi-chain simulation (no target; pass: the protocol's promises held)
  const channels = await run('channels', () => runChannelScaling(plan.channels), (r) => savePart('channels', r), (r) => r.pass);
  // nothing lost under load and faults: SIGKILL and restart, a full disk, resubmission; exactly once, verify, app hashes
  const faults = await run('faults', () => runFaults(plan.faults), (r) => savePart('faults', r), (r) => r.pass);

  const figures = ledgerFigures(results, wanted);
  log('\n| figure | target | measured | ratio | pass |\n|---|---|---|---|---|');
  for (const f of figures) log(`| ${f.figure} | ${f.target} | ${f.measured} | ${f.ratio} | ${f.pass} |`);
  const backends = storageBackends(results.throughput, onPostgres);
  log(`[ledger] one node, embedded storage: ${backends.embedded_tx_per_s} tx/s; PostgreSQL storage: ${backends.postgres_tx_per_s} tx/s (${backends.postgres_vs_embedded} of embedded; ÷ own ceiling: ${backends.vs_own_ceiling.embedded} embedded, ${backends.vs_own_ceiling.postgres} PostgreSQL)`);
  const failedParts = PARTS.filter((p) => parts[p].error !== undefined);
  const summary = {
    bench: 'ledger',
    mode: o.quick ? 'quick' : 'full',
    description: 'the ledger figures of the performance issue, each beside its target and the ceiling or peer measured in the same run',
    machine: mach,
    load: meter.stop(),
    ratio_is: 'measured ÷ the target threshold for an absolute target (>= 1 meets a ">=" target, <= 1 meets a "<=" one); measured ÷ reference for a target relative to a reference',
    figures,
    /** one node in this process on each storage backend (no target: the issue asks for both measured in one run) */
    storage_backends: wanted.has('throughput_pg') ? backends : undefined,
    /** a new node joining at the height of N committed transactions: by state sync and by block replay (ledger/state-sync.ts) */
    state_sync: stateSync,
    /** total throughput of 1, 2, 4, … chains joined by channels (ledger/channels.ts, ADR 0012) */
    channels: channels ? { scaling: channels.scaling.map((x) => ({ chains: x.chains, tx_per_s: x.tx_per_s, speedup: x.speedup, efficiency: x.efficiency })), pass: channels.pass } : undefined,
    /** the fault run (ledger/faults.ts) */
    faults,
    pass: figures.length > 0 && figures.every((f) => f.pass),
    missed: figures.filter((f) => !f.pass).map((f) => f.figure),
    parts,
    failed_parts: failedParts,
    setup: {
      throughput: { txs: plan.throughput.txs, rounds: plan.throughput.rounds, workload: plan.throughput.workload },
      pg_peer: `bash ${PEER_SCRIPT} ${plan.peer.n} ${plan.peer.batch} (from the project's root)`,
      network: { txs: plan.network.txs, phases: plan.network.phases, sat_s: plan.network.satS, lat_s: plan.network.latS, lat_fraction: plan.network.latFraction, healthy_s: plan.network.healthyS, down_s: plan.network.downS, bulk_max_s: plan.network.bulkMaxS, consensus: 'default timeouts' },
      records: { quick: plan.records.quick, writers: plan.records.writers, write_s: plan.records.writeS, readers: plan.records.readers, read_s: plan.records.readS, consensus: 'FAST timeouts' },
      parts_out: plan.partsOut,
    },
  };
  const file = join(OUT_DIR, 'ledger.json');
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  log(`[ledger] wrote ${file}`);
  emit(summary);
  return failedParts.length > 0 || (o.strict && !summary.pass) ? 1 : 0;
}
