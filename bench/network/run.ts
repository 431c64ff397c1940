// The network benchmark as a function: 4 validators as 4 real processes on this machine
// (Tendermint BFT over mutual-TLS loopback links, default consensus timeouts), load clients in
// separate processes submitting pre-signed ~276-byte register_patient transactions over the HTTP API.
// Every transaction is signed before any validator starts; the ceiling is measured in this process
// while the network is idle. Writes <out>/network.json (and network-timeline.svg) and returns the
// result; the phases are in phase-*.ts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { homePaths } from '@salus/node';
import { fail, log } from '../lib/cli.js';
import { dirBytes } from '../lib/files.js';
import { CHAIN_ID } from '../lib/genesis.js';
import { chainConsistency, freePortRange, heightAt, jsonGetter, waitForHeight } from '../lib/http.js';
import { initLocalnet } from '../lib/internals.js';
import { logLevelOf } from '../lib/localnet.js';
import { loadMeter, loadavgLine, machine } from '../lib/machine.js';
import { ownedProcessesAndDir, procMem, sleep } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { generateTxs } from '../lib/txgen.js';
import { nodeLogWarnings, spawnValidator, stopValidators, wallNow as now, type Validator } from '../lib/validators.js';
import { networkTimelineSvg } from '../plot/network-timeline.js';
import { NetworkCeiling } from './ceiling.js';
import { LoadClients } from './clients.js';
import { Aborted, type NetContext, type NetCrash } from './context.js';
import { CpuAccount } from './cpu.js';
import { PHASES, type NetworkFlags, type Phase } from './flags.js';
import { Observer } from './observer.js';
import { bulkPhase } from './phase-bulk.js';
import { killRestartPhase } from './phase-killrestart.js';
import { latencyPhase } from './phase-latency.js';
import { saturationPhase } from './phase-saturation.js';
import { networkFigures, type NetworkResult } from './result.js';
import { scanTxFile } from './txfile-scan.js';

export async function runNetwork(flags: NetworkFlags): Promise<NetworkResult> {
  const phasesWanted = new Set(flags.phases.split(',').filter(Boolean));
  for (const p of phasesWanted) if (!(PHASES as readonly string[]).includes(p)) fail(`unknown phase ${p}`);
  const wants = (p: Phase): boolean => phasesWanted.has(p);
  if (flags.kill < 1 || flags.kill > 3) fail('--kill must be 1, 2 or 3 (node 0 is the one the poller reads)');
  if (flags.cpuProfNode === flags.kill) fail('--cpu-prof-node must not be the validator that is killed (its profile would be lost)');
  logLevelOf(flags.logLevel);
  mkdirSync(flags.out, { recursive: true });

  // cleanup of everything started here, also on failure
  const { dir, track, cleanup } = ownedProcessesAndDir({ prefix: 'salus-bench-net-', keep: flags.keep, tag: 'network' });
  // A first signal ends the running phase early and still writes the results; a second one exits at once.
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`[network] ${sig}: ending the run early (again to exit at once)`);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    return await measure(flags, wants, dir, track, () => interrupted);
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    cleanup();
  }
}

async function measure(flags: NetworkFlags, wants: (p: Phase) => boolean, dir: string, track: ReturnType<typeof ownedProcessesAndDir>['track'], interrupted: () => boolean): Promise<NetworkResult> {
  const meterAll = loadMeter();
  const mach = machine();
  log(`[network] ${mach.nproc} cores (${mach.cpu_model}), load average ${mach.date}: ${loadavgLine()}`);

  // 1. pre-sign every transaction (before any validator runs)
  const txFile = join(dir, 'txs.bin');
  const tSign = performance.now();
  log(`[network] signing ${flags.txs} register_patient transactions…`);
  await generateTxs({ workload: 'register_patient', n: flags.txs, adminCount: 1, file: txFile, ...(flags.signThreads > 0 ? { threads: flags.signThreads } : {}) });
  for (let t = 0; t < 64; t++) rmSync(`${txFile}.part${t}`, { force: true });
  const signS = (performance.now() - tSign) / 1000;
  const { offsets: sliceOffsets, sizes, samplesTxs } = scanTxFile(txFile, flags.txs, flags.clients);
  log(`[network] signed in ${signS.toFixed(1)} s; median ${median(sizes)} B; ${flags.clients} client slice(s)`);

  // 2. the ceiling: one core's native Ed25519 verify/s, in this process, with the network idle
  const ceiling = new NetworkCeiling(samplesTxs, flags.ceilingMs);
  ceiling.round('before start');
  ceiling.round('before start');

  // 3. the network
  const base = await freePortRange(10);
  const nodesInit = initLocalnet({ dir: join(dir, 'net'), validators: 4, chainId: CHAIN_ID, apiPortBase: base, p2pPortBase: base + 5, config: { log: { level: logLevelOf(flags.logLevel) }, ...(flags.stateKeepVersions > 0 ? { state: { keepVersions: flags.stateKeepVersions } } : {}) } });
  const vals: Validator[] = [];
  const crashes: NetCrash[] = [];
  let lastHSeen = (): number | null => null;
  const startValidator = async (i: number, restart = false): Promise<Validator> => {
    // (Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line)
    const nodeArgs: string[] = [];
    if ((i === flags.cpuProfNode && !restart) || (restart && flags.cpuProfRestarted)) {
      mkdirSync(flags.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${flags.cpuProfDir}`);
    }
    const onCrash = (c: { node: number; exit: string | number | null; logTail: string }): void => void crashes.push({ node: c.node, exit: c.exit, at: now(), height_seen_by_poller: lastHSeen(), log_tail: c.logTail });
    const v = await spawnValidator({ i, home: nodesInit[i]!.home, nodeArgs, track, tag: 'network', onCrash });
    vals[i] = v;
    return v;
  };
  log(`[network] starting 4 validators (ports ${base}…${base + 8})`);
  for (let i = 0; i < 4; i++) await startValidator(i);
  const url = (i: number): string => vals[i]!.url;
  const liveUrls = (): string[] => vals.filter((v) => v.alive).map((v) => v.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const getJson = jsonGetter(agent);
  await waitForHeight(getJson, [0, 1, 2, 3].map(url));
  log('[network] 4 validators committing');

  // 4. the poller and sampler, 5. the load clients
  const clients = new LoadClients({ track, txFile, sliceOffsets, concurrency: flags.concurrency, window: flags.window, liveUrls });
  const obs = new Observer({ getJson, url0: url(0), pollMs: flags.pollMs, vals: () => vals, clientPids: () => clients.pids(), onPolled: (c) => clients.notifyCommitted(c) }, await heightAt(getJson, url(0)));
  obs.start();
  const ctx: NetContext = { flags, vals, nodesInit, crashes, obs, clients, cpu: new CpuAccount(() => vals, () => clients.cpuS()), ceiling, getJson, phaseT: {}, url, liveUrls, heightOf: (i) => heightAt(getJson, url(i)), startValidator, interrupted };
  const result: NetworkResult = {
    bench: 'network',
    description: '4 validator processes (Tendermint BFT, default timeouts) on one machine; pre-signed register_patient txs over HTTP from separate client processes',
    machine: mach,
    flags,
    setup: {
      validators: 4,
      tx_bytes_median: median(sizes),
      txs_signed: flags.txs,
      sign_s: round(signS, 1),
      client_processes: flags.clients,
      submission: 'POST /v1/txs?wait=none, application/cbor, node:http keep-alive agent, round robin over the live APIs',
      consensus_options: 'defaults (timeoutPropose 3000 ms, prevote/precommit 1000 ms, commitDelay 100 ms, emptyBlockWait 1000 ms, blockTxsMax 10000, block ≤ ~2.9 MiB)',
      poller: `node 0: GET /v1/status every ${flags.pollMs} ms, then GET /v1/blocks/:h for each new height`,
      loadavg_at_start: loadavgLine(),
    },
    phases: {},
  };
  lastHSeen = () => obs.lastH;
  try {
    await clients.start(flags.clients, obs);
    try {
      let ranOut = false;
      let satRate = flags.latRate > 0 ? flags.latRate / flags.latFraction : 0;
      if (wants('saturation')) {
        const s = await saturationPhase(ctx);
        result.phases.saturation = s;
        satRate = s.tx_per_s;
        ranOut ||= s.ran_out_of_txs;
      }
      if (wants('latency') && !ranOut && !(satRate > 0)) {
        if (!result.phases.saturation) fail('the latency phase needs the saturation rate: run the saturation phase or pass --lat-rate');
        // a saturation window with fewer than 2 blocks (a very slow or loaded machine) gives no rate to take half of
        result.skipped = { latency: `the saturation phase measured no committed rate (${result.phases.saturation.blocks} blocks in its window)` };
        log(`[network] latency: skipped (${result.skipped.latency})`);
      } else if (wants('latency') && !ranOut) {
        const l = await latencyPhase(ctx, satRate);
        result.phases.latency = l;
        ranOut ||= l.ran_out_of_txs;
      }
      if (wants('killrestart') && !ranOut) {
        const kr = await killRestartPhase(ctx);
        result.phases.killrestart = kr.phase;
        result.timeline_kill_restart = kr.timeline;
        ranOut ||= kr.ranOut;
      }
      if (wants('bulk') && !clients.allExhausted()) result.phases.bulk = await bulkPhase(ctx);
    } catch (e) {
      if (!(e instanceof Aborted)) throw e;
      log(`[network] ${interrupted() ? 'interrupted' : 'a validator crashed'}: the remaining phases are skipped`);
      clients.setMode('idle');
    }
    // RSS after everything, and a consistency check across the nodes
    const committedTotal = obs.totalCommitted();
    await sleep(1000);
    result.rss = {
      committed_txs: committedTotal,
      validators: vals.map((v) => ({ node: v.i, pid: v.pid, restarted: v.i === flags.kill && wants('killrestart'), ...procMem(v.pid) })),
      max_rss_over_run_mb: vals.map((_, i) => Math.max(0, ...obs.samples.map((s) => s.nodes[i]?.rss_mb ?? 0))),
    };
    const live = [0, 1, 2, 3].filter((i) => vals[i]!.alive);
    result.consistency = { live_nodes: live, ...(await chainConsistency(getJson, live.map(url), 10_000)) };
    if (!result.consistency.same_block_hash_at_common_height) log(`[network] WARNING: the nodes disagree at height ${result.consistency.common_height}`);
  } finally {
    await obs.stop();
    await clients.stop();
    log('[network] stopping validators (SIGTERM)');
    result.validator_exit = await stopValidators(vals, 30);
    // what the nodes logged (level warn and above), counted by message
    result.node_log_warnings = nodeLogWarnings(vals);
    agent.destroy();
  }
  result.disk = diskAfterStop(vals, obs.totalCommitted(), median(sizes));

  ceiling.round('after stop');
  const ceil = ceiling.summary();
  result.ceiling = ceil;
  const fig = networkFigures(result, flags, ceil.verify_per_s_one_core_median / 2);
  result.figures = fig;
  if (interrupted()) result.interrupted = 'a signal ended the run early: later phases are missing';
  if (crashes.length > 0) {
    const t00 = obs.samples[0]?.t;
    result.validator_crashes = crashes.map(({ at, ...c }) => ({ ...c, at_s: round((at - (t00 ?? at)) / 1000, 1) }));
    fig.no_crash = { figure: 'validators stay up (no unexpected exit)', target: 'no crash', measured: `${crashes.length} crashed: ${crashes.map((c) => `node ${c.node} (${c.exit})`).join(', ')}`, ratio: null, pass: false };
  }
  result.rows = Object.values(fig).map((f) => ({ figure: f.figure, target: f.target, measured: f.measured, ratio: f.ratio, pass: f.pass }));
  result.clients = clients.finals;
  result.poll_errors = obs.pollErrors;
  result.acknowledged_never_seen_committed = obs.pending.size;
  const load = meterAll.stop(0);
  load.loadavg_at_end = loadavgLine();
  result.load = load;
  const s0t = obs.samples[0]?.t ?? 0;
  result.samples_per_second = obs.samples.map((s) => ({ t: round((s.t - s0t) / 1000, 1), nodes: s.nodes.map((n) => (n ? [n.h, n.mempool, n.rss_mb ?? null, n.cpu_s === null ? null : round(n.cpu_s, 1)] : null)), clients_cpu_s: s.clients_cpu_s.map((x) => round(x, 1)) }));
  result.samples_per_second_columns = 'nodes[i] = [height, mempool size, VmRSS MB, CPU s]';
  result.phase_times_s = Object.fromEntries(Object.entries(ctx.phaseT).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([a, b]) => [a, round((b - s0t) / 1000, 1)]))]));
  result.pass = Object.values(fig).every((f) => f.pass);

  writeFileSync(join(flags.out, 'network.json'), JSON.stringify(result, null, 2) + '\n');
  if (result.timeline_kill_restart) {
    writeFileSync(join(flags.out, 'network-timeline.svg'), networkTimelineSvg(result));
    log(`[network] wrote ${join(flags.out, 'network.json')} and network-timeline.svg`);
  }
  log('\n| figure | target | measured | ratio | pass |\n|---|---|---|---|---|');
  for (const r of result.rows) log(`| ${r.figure} | ${r.target} | ${JSON.stringify(r.measured)} | ${r.ratio} | ${r.pass} |`);
  return result;
}

/** Each validator's data directory (SQLite files, consensus WAL, blobs) after the stop, per committed transaction. */
function diskAfterStop(vals: readonly Validator[], committed: number, txBytes: number): NonNullable<NetworkResult['disk']> {
  return {
    committed_txs: committed,
    tx_bytes_median: txBytes,
    how: "bytes of every file under each validator's <home>/data after its stop, divided by the transactions committed on the chain",
    validators: vals.map((v) => {
      try {
        const d = dirBytes(homePaths(v.home).data);
        return { node: v.i, data_bytes: d.total, bytes_per_committed_tx: committed > 0 ? round(d.total / committed, 1) : null, files: d.files };
      } catch {
        return { node: v.i, data_bytes: null, bytes_per_committed_tx: null, files: {} };
      }
    }),
  };
}
