#!/usr/bin/env node
// The network benchmark: 4 validators as 4 real processes on this machine (Tendermint BFT over
// mutual-TLS loopback links, default consensus timeouts), load clients in separate processes
// submitting pre-signed ~276-byte register_patient transactions over the HTTP API
// (POST /v1/txs?wait=none, application/cbor, keep-alive, bounded concurrency) spread over the APIs.
//
//   npm run bench:network                                   full: 1,000,000 transactions (tens of minutes)
//   node bench/network.mjs --txs 40000 --sat-s 15 --lat-s 15 --healthy-s 10 --down-s 12 --after-s 8   about a minute of load
//   node bench/network.mjs --cpu-prof-node 1 ...            writes a V8 CPU profile of validator 1 to bench/out/prof-network/
//   node bench/network.mjs --cpu-prof-restarted ...         … of the restarted validator (its catch-up)
//   node bench/network.mjs --bulk-max-s 3600                stops the bulk phase after an hour (RSS after what committed)
//   node bench/network.mjs --catchup-idle                   pauses submission while the restarted validator catches up
//   node bench/network.mjs --state-keep-versions 1e9        state-tree pruning off (config state.keepVersions)
//
// Phases (in this order; --phases picks some):
//  saturation   closed loop (≤ --concurrency requests in flight and ≤ --window acknowledged but not yet
//               committed transactions); committed tx/s over the steady window, from the blocks a poller
//               reads off node 0 (sum of their txs / time between the first and last block seen).
//  latency      open loop at --lat-fraction × the saturation rate; latency = time the poller (status every
//               --poll-ms, then GET /v1/blocks/:h) sees the transaction committed − submit time.
//  killrestart  closed loop; after --healthy-s, SIGKILL validator --kill and submit to the other three for
//               --down-s; restart it and measure how fast it commits the blocks it missed (its /v1/status
//               height every 50 ms) against the network's commit rate; back to all four once at the tip.
//               The per-second throughput and latency of this phase are plotted (bench/plot.mjs).
//  bulk         closed loop through the rest of the --txs pre-signed transactions; then VmRSS of every
//               validator process (/proc/<pid>/status) after the N transactions actually committed.
// Every transaction is signed before any validator starts. The ceiling is 2 cores × one core's native
// Ed25519 verifications per second (createNativeEd25519, measured in this process while the network is
// idle, several rounds) ÷ 4 validators, since every validator verifies every transaction once.
// Prints one JSON object on stdout (progress on stderr); writes bench/out/network.json and
// bench/out/network-timeline.svg.
import { fork } from 'node:child_process';
import { createHash, verify as cryptoVerify } from 'node:crypto';
import http from 'node:http';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
class Aborted extends Error {}
const die = (message) => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};

if (process.env.SALUS_BENCH_NET_ROLE === 'load') loadClient();
else await main();

// =============================================================================================
// The load client: a child process. Reads its slice of the pre-signed transaction file and submits
// as told over IPC; reports [hash, submit time, ack time, scheduled time] of every acknowledged one.

function loadClient() {
  const { file, from, to } = JSON.parse(process.env.SALUS_BENCH_NET_SLICE);
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let pos = from;
  let have = 0;
  let off = 0;
  const refill = () => {
    buf.copy(buf, 0, off, have);
    have -= off;
    off = 0;
    const want = Math.min(buf.length - have, to - pos);
    if (want <= 0) return;
    const n = readSync(fd, buf, have, want, pos);
    pos += n;
    have += n;
  };
  const nextFromFile = () => {
    if (have - off < 2 || have - off < 2 + buf.readUInt16BE(off)) refill();
    if (have - off < 2) return undefined;
    const len = buf.readUInt16BE(off);
    if (have - off < 2 + len) return undefined;
    const bytes = Buffer.from(buf.subarray(off + 2, off + 2 + len));
    off += 2 + len;
    return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let mode = 'idle';
  let targets = [];
  let concurrency = 64;
  let window = 5000;
  let rate = 0;
  let inflight = 0;
  let acked = 0;
  let committed = 0;
  let exhausted = false;
  let pausedUntil = 0;
  let pauseTimer;
  let openT0 = 0;
  let openSent = 0;
  let openTimer;
  let rr = 0;
  const retry = [];
  const badUntil = new Map();
  const stats = { sent: 0, ok: 0, mempool_full: 0, conn_errors: 0, already_known: 0, rejected: {}, open_behind: 0 };
  let recs = [];

  const pick = () => {
    const t = now();
    for (let k = 0; k < targets.length; k++) {
      const u = targets[rr++ % targets.length];
      if (!(badUntil.get(u) > t)) return u;
    }
    return targets[rr++ % targets.length];
  };
  const post = (u, bytes) =>
    new Promise((resolve, reject) => {
      const url = new URL(u);
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/v1/txs?wait=none', method: 'POST', agent, headers: { 'content-type': 'application/cbor', 'content-length': bytes.length } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(bytes);
    });
  const next = () => retry.shift() ?? nextFromFile();
  const markExhausted = () => {
    if (!exhausted && retry.length === 0) {
      exhausted = true;
      process.send({ ev: 'exhausted' });
    }
  };

  function send(tx, tSched) {
    inflight++;
    stats.sent++;
    const u = pick();
    const t0 = now();
    post(u, tx.bytes).then(
      ({ status, body }) => {
        inflight--;
        if (status === 202) {
          acked++;
          stats.ok++;
          recs.push([tx.hash, t0, now(), tSched ?? t0]);
        } else {
          let code = `HTTP_${status}`;
          try {
            code = JSON.parse(body.toString()).error.code;
          } catch {}
          if (code === 'MEMPOOL_FULL') {
            stats.mempool_full++;
            retry.push(tx);
            pausedUntil = now() + 25;
          } else if (code === 'CONFLICT' || code === 'NONCE_REPLAYED') {
            // a retry of a transaction a node had admitted before its connection failed (then gossiped)
            acked++;
            stats.already_known++;
            recs.push([tx.hash, t0, now(), tSched ?? t0]);
          } else stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
        }
        pump();
      },
      () => {
        inflight--;
        stats.conn_errors++;
        badUntil.set(u, now() + 500);
        retry.push(tx);
        pump();
      },
    );
  }

  function pump() {
    if (mode !== 'closed') return;
    const t = now();
    if (t < pausedUntil) {
      if (!pauseTimer) pauseTimer = setTimeout(() => ((pauseTimer = undefined), pump()), pausedUntil - t);
      return;
    }
    while (inflight < concurrency && acked - committed + inflight < window) {
      const tx = next();
      if (!tx) return markExhausted();
      send(tx);
    }
  }

  function openTick() {
    openTimer = undefined;
    if (mode !== 'open') return;
    const due = Math.floor((rate * (now() - openT0)) / 1000) - openSent;
    for (let i = 0; i < due; i++) {
      const tSched = openT0 + (openSent * 1000) / rate;
      openSent++;
      if (inflight >= 4096) {
        stats.open_behind++;
        continue;
      }
      const tx = next();
      if (!tx) {
        markExhausted();
        break;
      }
      send(tx, tSched);
    }
    openTimer = setTimeout(openTick, 2);
  }

  const flush = () => {
    if (recs.length > 0) {
      process.send({ ev: 'recs', recs });
      recs = [];
    }
  };
  const flushTimer = setInterval(flush, 40);

  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m) => {
    if (m.cmd === 'mode') {
      mode = m.mode;
      if (m.targets) targets = m.targets;
      if (m.concurrency) concurrency = m.concurrency;
      if (m.window) window = m.window;
      if (m.mode === 'open') {
        rate = m.rate;
        openT0 = now();
        openSent = 0;
        if (!openTimer) openTick();
      }
      pump();
    } else if (m.cmd === 'targets') {
      targets = m.targets;
      pump();
    } else if (m.cmd === 'committed') {
      committed = m.n;
      pump();
    } else if (m.cmd === 'stop') {
      mode = 'idle';
      const end = now() + 5000;
      while (inflight > 0 && now() < end) await sleep(10);
      flush();
      clearInterval(flushTimer);
      closeSync(fd);
      agent.destroy();
      process.send({ ev: 'final', stats: { ...stats, acked, inflight_at_stop: inflight, retry_queue: retry.length, exhausted } }, () => process.exit(0));
    }
  });
  process.send({ ev: 'ready' });
}

// =============================================================================================
// The bench process.

async function main() {
  const lib = await import('./lib.mjs');
  const { BENCH_DIR, CHAIN_ID, chainConsistency, createNativeEd25519, emit, fail, freePortRange, generateTxs, heightAt, jsonGetter, loadMeter, log, machine, median, nodeLogWarnings, ownedProcessesAndDir, parseFlags, procCpuS, quantile, round, spawnValidator, spkiOf, stopValidators, verifyRate, verifySamples, waitForHeight } = lib;
  const { initLocalnet } = await import('../packages/node/dist/config/localnet.js');
  const { networkTimelineSvg } = await import('./plot.mjs');

  const flags = parseFlags({
    txs: 1_000_000,
    phases: 'saturation,latency,killrestart,bulk',
    satS: 30,
    warmS: 5,
    latS: 30,
    latFraction: 0.5,
    latRate: 0,
    healthyS: 20,
    downS: 30,
    afterS: 15,
    catchupTimeoutS: 300,
    bulkMaxS: 0,
    catchupIdle: false,
    stateKeepVersions: 0,
    concurrency: 64,
    window: 5000,
    clients: 1,
    pollMs: 20,
    kill: 3,
    cpuProfNode: -1,
    cpuProfRestarted: false,
    cpuProfDir: join(BENCH_DIR, 'out', 'prof-network'),
    logLevel: 'warn',
    ceilingMs: 500,
    signThreads: 0,
    targetSaturation: 0.5,
    targetP99Ms: 1500,
    targetKill: 0.7,
    targetCatchup: 5,
    targetRssMb: 400,
    out: join(BENCH_DIR, 'out'),
    keep: false,
  });
  const phasesWanted = new Set(flags.phases.split(',').filter(Boolean));
  for (const p of phasesWanted) if (!['saturation', 'latency', 'killrestart', 'bulk'].includes(p)) fail(`unknown phase ${p}`);
  if (flags.kill < 1 || flags.kill > 3) fail('--kill must be 1, 2 or 3 (node 0 is the one the poller reads)');
  if (flags.cpuProfNode === flags.kill) fail('--cpu-prof-node must not be the validator that is killed (its profile would be lost)');
  mkdirSync(flags.out, { recursive: true });

  // ---------------------------------------------------------------------------------------------
  // cleanup of everything started here, also on failure
  const { dir, track, cleanup } = ownedProcessesAndDir({ prefix: 'salus-bench-net-', keep: flags.keep, tag: 'network' });
  // A first signal ends the running phase early and still writes the results; a second one exits at once.
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(sig, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      log(`[network] ${sig}: ending the run early (again to exit at once)`);
    });

  const meterAll = loadMeter();
  const mach = machine();
  log(`[network] ${mach.nproc} cores (${mach.cpu_model}), load average ${mach.date}: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);

  // ---------------------------------------------------------------------------------------------
  // 1. pre-sign every transaction (before any validator runs)
  const txFile = join(dir, 'txs.bin');
  const tSign = performance.now();
  log(`[network] signing ${flags.txs} register_patient transactions…`);
  await generateTxs({ workload: 'register_patient', n: flags.txs, adminCount: 1, file: txFile, ...(flags.signThreads > 0 ? { threads: flags.signThreads } : {}) });
  for (let t = 0; t < 64; t++) rmSync(`${txFile}.part${t}`, { force: true });
  const signS = (performance.now() - tSign) / 1000;
  // record boundaries for the clients' slices, and sizes
  const { offsets: sliceOffsets, sizes, samplesTxs } = scanTxFile(txFile, flags.txs, flags.clients);
  log(`[network] signed in ${signS.toFixed(1)} s; median ${median(sizes)} B; ${flags.clients} client slice(s)`);

  // ---------------------------------------------------------------------------------------------
  // 2. the ceiling: one core's native Ed25519 verify/s, in this process, with the network idle
  const ed = createNativeEd25519();
  const samples = verifySamples(samplesTxs, 2000);
  const ceilingRounds = [];
  // For context (not the ceiling): a verification of a signer seen for the first time, as every
  // register_patient signer is, also builds its public key object (the DER key inline).
  // The node verifies a first-seen key with its DER bytes inline (OpenSSL decodes them each time);
  // importing the raw key as a JWK instead is measured beside it.
  const freshRate = (keyOf) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < flags.ceilingMs / 2) {
      for (const x of samples.slice(0, 200)) if (!cryptoVerify(null, x.msg, keyOf(x.pk), x.sig)) fail('a good signature did not verify');
      n += 200;
    }
    return (n / (performance.now() - t0)) * 1000;
  };
  const derKey = (pk) => ({ key: spkiOf(pk), format: 'der', type: 'spki' });
  const jwkKey = (pk) => ({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' });
  const ceilingRound = (when) => {
    const r = verifyRate(ed, samples, flags.ceilingMs);
    const f = freshRate(derKey);
    const j = freshRate(jwkKey);
    ceilingRounds.push({ when, verify_per_s: round(r, 0), fresh_key_der_verify_per_s: round(f, 0), fresh_key_jwk_verify_per_s: round(j, 0) });
    log(`[network] ceiling round (${when}): ${Math.round(r)} verify/s on one core (first-seen key: ${Math.round(f)}/s DER inline, ${Math.round(j)}/s JWK inline)`);
  };
  ceilingRound('before start');
  ceilingRound('before start');

  // ---------------------------------------------------------------------------------------------
  // 3. the network
  const base = await freePortRange(10);
  const nodesInit = initLocalnet({ dir: join(dir, 'net'), validators: 4, chainId: CHAIN_ID, apiPortBase: base, p2pPortBase: base + 5, config: { log: { level: flags.logLevel }, ...(flags.stateKeepVersions > 0 ? { state: { keepVersions: flags.stateKeepVersions } } : {}) } });
  const vals = [];
  const crashes = [];
  let lastHSeen = () => null;
  const startValidator = async (i, restart = false) => {
    // (Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line)
    const nodeArgs = [];
    if ((i === flags.cpuProfNode && !restart) || (restart && flags.cpuProfRestarted)) {
      mkdirSync(flags.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${flags.cpuProfDir}`);
    }
    const onCrash = (c) => crashes.push({ node: c.node, exit: c.exit, at: now(), height_seen_by_poller: lastHSeen(), log_tail: c.logTail });
    vals[i] = await spawnValidator({ i, home: nodesInit[i].home, nodeArgs, track, tag: 'network', onCrash });
    return vals[i];
  };
  log(`[network] starting 4 validators (ports ${base}…${base + 8})`);
  for (let i = 0; i < 4; i++) await startValidator(i);
  const url = (i) => vals[i].url;
  const liveUrls = () => vals.filter((v) => v.alive).map((v) => v.url);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const getJson = jsonGetter(agent);
  const heightOf = (i) => heightAt(getJson, url(i));
  await waitForHeight(getJson, [0, 1, 2, 3].map(url));
  log('[network] 4 validators committing');

  // ---------------------------------------------------------------------------------------------
  // 4. the poller (node 0): every block's txs, with the time they were first seen committed
  const blocks = []; // { h, seen, txs, time }
  const lat = { seen: [], ms: [], tSubmit: [], tSched: [] }; // one entry per matched transaction
  const pending = new Map(); // hash -> [tSubmit, tAck, tSched, client]
  const seenEarly = new Map(); // hash -> seen (the block came before the client's record)
  const committedBy = [];
  let lastH = await heightOf(0);
  let polling = true;
  let peerHeights0 = {}; // node 0's view of its peers' heights (block-sync status messages), by node id
  let pollErrors = 0;
  const clients = [];
  const notifyCommitted = () => {
    for (let c = 0; c < clients.length; c++) if (clients[c].sentCommitted !== committedBy[c]) {
      clients[c].sentCommitted = committedBy[c];
      if (clients[c].proc.connected) clients[c].proc.send({ cmd: 'committed', n: committedBy[c] });
    }
  };
  const matched = (c, r, seen) => {
    committedBy[c]++;
    lat.seen.push(seen);
    lat.ms.push(seen - r[0]);
    lat.tSubmit.push(r[0]);
    lat.tSched.push(r[2]);
  };
  const pollLoop = (async () => {
    while (polling) {
      const t = now();
      try {
        const st = await getJson(`${url(0)}/v1/status`, 2000);
        const seen = now();
        peerHeights0 = st.consensus?.peerHeights ?? {};
        for (let h = lastH + 1; h <= st.height; h++) {
          const b = await getJson(`${url(0)}/v1/blocks/${h}`, 10_000);
          blocks.push({ h, seen, txs: b.txs.length, time: b.header.time });
          for (const { hash } of b.txs) {
            const r = pending.get(hash);
            if (r) {
              pending.delete(hash);
              matched(r[3], r, seen);
            } else seenEarly.set(hash, seen);
          }
          lastH = h;
        }
        notifyCommitted();
      } catch {
        pollErrors++;
      }
      const wait = flags.pollMs - (now() - t);
      if (wait > 0) await sleep(wait);
    }
  })();

  // the sampler: once a second, every validator's height, mempool, RSS and CPU; the clients' CPU
  const samplesT = [];
  let sampling = true;
  const samplerLoop = (async () => {
    while (sampling) {
      const t = now();
      const row = { t, nodes: [], clients_cpu_s: clients.map((c) => procCpuS(c.proc.pid)) };
      await Promise.all(
        vals.map(async (v, i) => {
          const st = v.alive ? await getJson(`${v.url}/v1/status`, 900).catch(() => null) : null;
          row.nodes[i] = { alive: v.alive, h: st?.height ?? null, mempool: st?.mempool?.size ?? null, round: st?.consensus?.round ?? null, ...(v.alive ? procMem(v.pid) : {}), cpu_s: v.alive ? procCpuS(v.pid) : null };
        }),
      );
      samplesT.push(row);
      const wait = 1000 - (now() - t);
      if (wait > 0) await sleep(wait);
    }
  })();

  // ---------------------------------------------------------------------------------------------
  // 5. the load clients
  const exhaustedClients = new Set();
  const finals = [];
  for (let c = 0; c < flags.clients; c++) {
    const proc = track(
      fork(SELF, [], {
        env: { ...process.env, SALUS_BENCH_NET_ROLE: 'load', SALUS_BENCH_NET_SLICE: JSON.stringify({ file: txFile, from: sliceOffsets[c], to: sliceOffsets[c + 1] }) },
        stdio: ['ignore', 2, 2, 'ipc'],
      }),
    );
    proc.on('error', (e) => log(`[network] load client ${c}: ${e.message}`));
    committedBy[c] = 0;
    const client = { proc, sentCommitted: 0 };
    clients.push(client);
    await new Promise((resolve, reject) => {
      proc.on('message', (m) => {
        if (m.ev === 'ready') resolve();
        else if (m.ev === 'recs') {
          for (const r of m.recs) {
            const rec = [r[1], r[2], r[3], c];
            const s = seenEarly.get(r[0]);
            if (s !== undefined) {
              seenEarly.delete(r[0]);
              matched(c, rec, s);
            } else pending.set(r[0], rec);
          }
        } else if (m.ev === 'exhausted') exhaustedClients.add(c);
        else if (m.ev === 'final') finals[c] = m.stats;
      });
      proc.once('exit', (code) => code !== 0 && reject(new Error(`load client ${c} exited with ${code}`)));
    });
  }
  const setMode = (mode, extra = {}) => {
    for (const c of clients) if (c.proc.connected) c.proc.send({ cmd: 'mode', mode, concurrency: Math.ceil(flags.concurrency / clients.length), window: Math.ceil(flags.window / clients.length), targets: liveUrls(), ...extra, ...(extra.rate ? { rate: extra.rate / clients.length } : {}) });
  };
  const setTargets = (targets) => {
    for (const c of clients) if (c.proc.connected) c.proc.send({ cmd: 'targets', targets });
  };

  // per-phase CPU and machine accounting
  const cpuSnapshot = () => ({
    t: now(),
    vals: vals.map((v) => (v.alive ? procCpuS(v.pid) : null)),
    clients: clients.map((c) => procCpuS(c.proc.pid)),
    self: process.cpuUsage(),
    meter: loadMeter(),
  });
  const cpuSince = (s0, committed) => {
    const wallS = (now() - s0.t) / 1000;
    const valsS = vals.map((v, i) => (v.alive && s0.vals[i] !== null && vals[i].pid === s0.pidOf?.[i] ? procCpuS(v.pid) - s0.vals[i] : null));
    const clientsS = clients.map((c, i) => procCpuS(c.proc.pid) - s0.clients[i]);
    const selfU = process.cpuUsage(s0.self);
    const selfS = (selfU.user + selfU.system) / 1e6;
    const known = valsS.filter((x) => x !== null).reduce((a, b) => a + b, 0) + clientsS.reduce((a, b) => a + b, 0);
    const m = s0.meter.stop(known * 1000);
    return {
      wall_s: round(wallS, 1),
      validator_cores: valsS.map((x) => (x === null ? null : round(x / wallS, 2))),
      client_cores: clientsS.map((x) => round(x / wallS, 2)),
      bench_process_cores: round(selfS / wallS, 2),
      machine_busy_cores: m.machine_busy_cores,
      others_busy_cores: m.others_busy_cores,
      loadavg_1m_end: m.loadavg_1m_end,
      cpu_us_per_committed_tx: committed > 0 ? { validators_each: valsS.map((x) => (x === null ? null : round((x * 1e6) / committed, 0))), clients: round((clientsS.reduce((a, b) => a + b, 0) * 1e6) / committed, 0) } : null,
    };
  };
  const snap = () => ({ ...cpuSnapshot(), pidOf: vals.map((v) => v.pid) });

  /** committed tx/s and blocks/s between the first block seen at or after `a` and the last seen at or before `b` */
  const rateBetween = (a, b, anchorMin = a) => {
    // the block before the window (seen no earlier than anchorMin) anchors it, when there is one
    const before = blocks.filter((x) => x.seen >= anchorMin && x.seen < a).at(-1);
    const inWin = [...(before ? [before] : []), ...blocks.filter((x) => x.seen >= a && x.seen <= b)];
    const first = inWin[0];
    const last = inWin.at(-1);
    if (inWin.length < 2 || last.seen - first.seen < 1) return { tx_per_s: 0, blocks_per_s: 0, blocks: Math.max(0, inWin.length - 1), txs: inWin.reduce((s, x) => s + x.txs, 0), span_s: 0, too_few_blocks: true };
    const txs = inWin.slice(1).reduce((s, x) => s + x.txs, 0);
    const spanS = (last.seen - first.seen) / 1000;
    return {
      tx_per_s: round(txs / spanS, 1),
      blocks_per_s: round((inWin.length - 1) / spanS, 3),
      blocks: inWin.length - 1,
      txs,
      span_s: round(spanS, 1),
      mean_block_txs: round(txs / (inWin.length - 1), 0),
      max_block_txs: Math.max(...inWin.map((x) => x.txs)),
      mean_block_interval_ms: round((spanS * 1000) / (inWin.length - 1), 0),
    };
  };
  const latencyStats = (a, b, key = 'tSubmit') => {
    const xs = [];
    const fromSched = [];
    for (let i = 0; i < lat.ms.length; i++) {
      const t = lat[key][i];
      if (t >= a && t <= b) {
        xs.push(lat.ms[i]);
        fromSched.push(lat.seen[i] - lat.tSched[i]);
      }
    }
    return {
      n: xs.length,
      p50_ms: round(quantile(xs, 0.5), 0),
      p90_ms: round(quantile(xs, 0.9), 0),
      p99_ms: round(quantile(xs, 0.99), 0),
      max_ms: xs.length ? round(Math.max(...xs), 0) : null,
      p99_from_schedule_ms: round(quantile(fromSched, 0.99), 0),
    };
  };
  const totalCommitted = () => blocks.reduce((s, b) => s + b.txs, 0);
  const mempools = async () => (await Promise.all(vals.filter((v) => v.alive).map((v) => getJson(`${v.url}/v1/status`, 2000).then((s) => s.mempool.size).catch(() => -1))));
  /** Idle clients, then wait until every live mempool is empty and every acknowledged tx has been seen (or nothing moves for `quietMs`). */
  const drain = async (why, quietMs = 8000, maxMs = 180_000) => {
    setMode('idle');
    const t0 = now();
    let lastChange = now();
    let lastCount = totalCommitted();
    for (;;) {
      await sleep(250);
      const m = await mempools();
      const c = totalCommitted();
      if (c !== lastCount) {
        lastCount = c;
        lastChange = now();
      }
      if (m.every((x) => x === 0) && pending.size === 0) break;
      if (m.every((x) => x === 0) && now() - lastChange > 3000) break; // acknowledged but lost (a killed node's mempool)
      if (now() - lastChange > quietMs && now() - t0 > quietMs) {
        log(`[network] drain (${why}): nothing committed for ${quietMs} ms; mempools ${m.join(',')}, ${pending.size} acknowledged txs unseen`);
        break;
      }
      if (now() - t0 > maxMs) {
        log(`[network] drain (${why}) gave up after ${maxMs} ms`);
        break;
      }
    }
    log(`[network] drained (${why}) in ${((now() - t0) / 1000).toFixed(1)} s; ${totalCommitted()} committed so far`);
  };
  const waitUntil = async (t) => {
    while (now() < t) {
      if (crashes.length > 0 || interrupted) throw new Aborted();
      if (exhaustedClients.size === clients.length) return false;
      await sleep(Math.min(200, t - now()));
    }
    return true;
  };

  const result = {
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
      loadavg_at_start: readFileSync('/proc/loadavg', 'utf8').trim(),
    },
    phases: {},
  };
  const phaseT = {};
  let ranOut = false;

  lastHSeen = () => lastH;
  try {
    try {
      // -------------------------------------------------------------------------------------------
      // saturation
      let satRate = flags.latRate > 0 ? flags.latRate / flags.latFraction : 0;
      if (phasesWanted.has('saturation')) {
        log(`[network] saturation: closed loop, ${flags.concurrency} in flight, window ${flags.window}, ${flags.satS} s`);
        const s0 = snap();
        const t0 = now();
        setMode('closed');
        const full = await waitUntil(t0 + flags.satS * 1000);
        const t1 = now();
        const r = rateBetween(t0 + flags.warmS * 1000, t1, t0);
        const cpu = cpuSince(s0, r.txs);
        await drain('saturation');
        phaseT.saturation = { t0, t1 };
        satRate = r.tx_per_s;
        result.phases.saturation = { ...r, window_s: round((t1 - t0) / 1000 - flags.warmS, 1), ran_out_of_txs: !full, latency_at_saturation: latencyStats(t0 + flags.warmS * 1000, t1), cpu };
        log(`[network] saturation: ${r.tx_per_s} tx/s (${r.blocks} blocks, mean ${r.mean_block_txs} txs, ${r.mean_block_interval_ms} ms apart)`);
        ranOut ||= !full;
        ceilingRound('after saturation (network idle)');
      }

      // -------------------------------------------------------------------------------------------
      // latency at a fraction of saturation
      if (phasesWanted.has('latency') && !ranOut) {
        if (!(satRate > 0)) fail('the latency phase needs the saturation rate: run the saturation phase or pass --lat-rate');
        const rate = Math.max(1, Math.round(satRate * flags.latFraction));
        log(`[network] latency: open loop at ${rate} tx/s (${flags.latFraction} × ${satRate}), ${flags.latS} s`);
        const s0 = snap();
        const t0 = now();
        setMode('open', { rate });
        const full = await waitUntil(t0 + flags.latS * 1000);
        const t1 = now();
        setMode('idle');
        await drain('latency');
        const r = rateBetween(t0 + flags.warmS * 1000, t1, t0);
        phaseT.latency = { t0, t1 };
        result.phases.latency = { offered_tx_per_s: rate, committed: r, latency: latencyStats(t0 + flags.warmS * 1000, t1), ran_out_of_txs: !full, cpu: cpuSince(s0, r.txs) };
        const l = result.phases.latency.latency;
        log(`[network] latency at ${rate} tx/s: p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms (n ${l.n})`);
        ranOut ||= !full;
        ceilingRound('after latency (network idle)');
      }

      // -------------------------------------------------------------------------------------------
      // kill and restart one validator under load
      if (phasesWanted.has('killrestart') && !ranOut) {
        const k = flags.kill;
        log(`[network] kill-and-restart: closed loop; SIGKILL node ${k} after ${flags.healthyS} s, restart after ${flags.downS} s more`);
        const s0 = snap();
        const t0 = now();
        setMode('closed');
        let full = await waitUntil(t0 + flags.healthyS * 1000);
        const healthyCpu = cpuSince(s0, rateBetween(t0 + flags.warmS * 1000, now()).txs);
        const hBeforeKill = samplesT.at(-1)?.nodes[k]?.h ?? null;
        const tKill = now();
        vals[k].expectExit = true;
        vals[k].child.kill('SIGKILL');
        await new Promise((r) => (vals[k].alive ? vals[k].child.once('exit', r) : r()));
        setTargets(liveUrls());
        log(`[network] SIGKILL node ${k} (pid ${vals[k].pid}) at height ~${hBeforeKill}; submitting to ${liveUrls().length} nodes`);
        const s1 = snap();
        full = full && (await waitUntil(tKill + flags.downS * 1000));
        const hNetAtRestart = lastH;
        const tRestart = now();
        const downCpu = cpuSince(s1, rateBetween(tKill + flags.warmS * 1000, tRestart).txs);
        if (flags.catchupIdle) setMode('idle'); // the restarted node catches up with no new load
        const v = await startValidator(k, true);
        const catchPoll = [{ t: v.apiAt, h: v.startHeight, src: 'start' }];
        log(`[network] restarted node ${k}: API up ${((v.apiAt - tRestart) / 1000).toFixed(2)} s after spawn at height ${v.startHeight}; network at ${hNetAtRestart}`);
        // node k's height: its own /v1/status every 50 ms (which stalls while it applies a sync batch), and
        // the height it announces to node 0 by block sync (node 0's status, read by the poller every 20 ms)
        let tMissed = null;
        let tTip = null;
        let catching = true;
        let hk = v.startHeight;
        const idK = nodesInit[k].nodeId;
        const apiLoop = (async () => {
          while (catching) {
            const h = await heightOf(k);
            if (h >= 0) catchPoll.push({ t: now(), h, src: 'api' });
            await sleep(50);
          }
        })();
        const deadline = now() + flags.catchupTimeoutS * 1000;
        while (now() < deadline) {
          if (crashes.length > 0 || interrupted) throw new Aborted();
          const ph = peerHeights0[idK];
          if (ph !== undefined && ph !== catchPoll.findLast((p) => p.src === 'peer')?.h) catchPoll.push({ t: now(), h: ph, src: 'peer' });
          const t = now();
          hk = Math.max(hk, ...catchPoll.slice(-4).map((p) => p.h));
          if (tMissed === null && hk >= hNetAtRestart) tMissed = t;
          if (tMissed !== null && hk >= lastH - 1) {
            tTip = t;
            break;
          }
          await sleep(20);
        }
        catching = false;
        await apiLoop;
        catchPoll.sort((a, b) => a.t - b.t);
        if (flags.catchupIdle) setMode('closed');
        else setTargets(liveUrls());
        log(`[network] node ${k}: missed blocks committed ${tMissed === null ? 'never' : ((tMissed - v.apiAt) / 1000).toFixed(2) + ' s'} after its API came up; at the tip ${tTip === null ? 'never' : ((tTip - v.apiAt) / 1000).toFixed(2) + ' s'}`);
        const tAfter = now();
        full = full && (await waitUntil(tAfter + flags.afterS * 1000));
        const t1 = now();
        setMode('idle');
        await drain('kill-and-restart');
        phaseT.killrestart = { t0, t1, tKill, tRestart };

        const healthy = rateBetween(t0 + flags.warmS * 1000, tKill, t0);
        const down = rateBetween(tKill + flags.warmS * 1000, tRestart, tKill);
        const downAll = rateBetween(tKill, tRestart);
        // the missed blocks: (startHeight, hNetAtRestart]
        const missed = blocks.filter((b) => b.h > v.startHeight && b.h <= hNetAtRestart);
        const missedTxs = missed.reduce((s, b) => s + b.txs, 0);
        const firstMove = catchPoll.find((p) => p.h > v.startHeight);
        const catchS = tMissed !== null ? (tMissed - v.apiAt) / 1000 : null;
        const catchFromMoveS = tMissed !== null && firstMove ? (tMissed - firstMove.t) / 1000 : null;
        const netDuring = tMissed !== null ? rateBetween(v.apiAt, tMissed, tRestart) : null;
        result.phases.killrestart = {
          killed_node: k,
          load_during_catchup: flags.catchupIdle ? 'none (submission paused from the restart until the node was at the tip)' : 'closed loop to the 3 other nodes',
          healthy,
          one_down: down,
          one_down_including_first_seconds: downAll,
          ratio_one_down_to_healthy: healthy.tx_per_s > 0 ? round(down.tx_per_s / healthy.tx_per_s, 3) : null,
          catchup: {
            height_at_restart: v.startHeight,
            network_height_at_restart: hNetAtRestart,
            missed_blocks: missed.length,
            missed_txs: missedTxs,
            process_start_to_api_s: round((v.apiAt - tRestart) / 1000, 2),
            api_to_missed_committed_s: catchS === null ? null : round(catchS, 2),
            first_sync_to_missed_committed_s: catchFromMoveS === null ? null : round(catchFromMoveS, 2),
            api_to_tip_s: tTip === null ? null : round((tTip - v.apiAt) / 1000, 2),
            catchup_tx_per_s: catchS ? round(missedTxs / catchS, 1) : null,
            catchup_blocks_per_s: catchS ? round(missed.length / catchS, 3) : null,
            network_while_down: { tx_per_s: downAll.tx_per_s, blocks_per_s: downAll.blocks_per_s },
            network_during_catchup: netDuring ? { tx_per_s: netDuring.tx_per_s, blocks_per_s: netDuring.blocks_per_s } : null,
            height_samples: catchPoll.map((p) => [round((p.t - t0) / 1000, 2), p.h, p.src]),
          },
          cpu: { healthy: healthyCpu, one_down: downCpu },
          ran_out_of_txs: !full,
        };
        const cu = result.phases.killrestart.catchup;
        log(`[network] healthy ${healthy.tx_per_s} tx/s; one down ${down.tx_per_s} tx/s; catch-up ${cu.catchup_tx_per_s} tx/s (${cu.catchup_blocks_per_s} blocks/s) vs network ${downAll.tx_per_s} tx/s (${downAll.blocks_per_s} blocks/s)`);
        ranOut ||= !full;
        result.timeline_kill_restart = timeline(t0, t1, {
          kill_s: round((tKill - t0) / 1000, 2),
          restart_s: round((tRestart - t0) / 1000, 2),
          api_up_s: round((v.apiAt - t0) / 1000, 2),
          caught_up_missed_s: tMissed === null ? null : round((tMissed - t0) / 1000, 2),
          caught_up_tip_s: tTip === null ? null : round((tTip - t0) / 1000, 2),
          node: k,
        }, catchPoll);
      }

      // -------------------------------------------------------------------------------------------
      // the rest of the transactions, then RSS
      if (phasesWanted.has('bulk') && exhaustedClients.size < clients.length) {
        const left = flags.txs - (clientsAckedEstimate());
        log(`[network] bulk: closed loop through the remaining ~${left} transactions`);
        const s0 = snap();
        const t0 = now();
        const c0 = totalCommitted();
        let bulkCut = false;
        setMode('closed');
        let lastLog = now();
        let lastCount = c0;
        let lastMove = now();
        while (exhaustedClients.size < clients.length) {
          if (crashes.length > 0 || interrupted) throw new Aborted();
          await sleep(500);
          const c = totalCommitted();
          if (c !== lastCount) {
            lastCount = c;
            lastMove = now();
          }
          if (now() - lastMove > 120_000) {
            log('[network] bulk: nothing committed for 120 s; stopping');
            break;
          }
          if (flags.bulkMaxS > 0 && now() - t0 > flags.bulkMaxS * 1000) {
            log(`[network] bulk: --bulk-max-s ${flags.bulkMaxS} reached; stopping (RSS is reported after the transactions actually committed)`);
            bulkCut = true;
            break;
          }
          if (now() - lastLog > 30_000) {
            lastLog = now();
            const rss = vals.map((v) => (v.alive ? procMem(v.pid).rss_mb : null));
            log(`[network] bulk: ${c} committed, ${Math.round(((c - c0) / (now() - t0)) * 1000)} tx/s, RSS ${rss.join('/')} MB, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
          }
        }
        const t1 = now();
        await drain('bulk');
        phaseT.bulk = { t0, t1 };
        const r = rateBetween(t0 + flags.warmS * 1000, t1, t0);
        result.phases.bulk = { ...r, cut_by_bulk_max_s: bulkCut, cpu: cpuSince(s0, r.txs), latency: latencyStats(t0 + flags.warmS * 1000, t1) };
      }
    } catch (e) {
      if (!(e instanceof Aborted)) throw e;
      log(`[network] ${interrupted ? 'interrupted' : 'a validator crashed'}: the remaining phases are skipped`);
      setMode('idle');
    }
    // -------------------------------------------------------------------------------------------
    // RSS after everything, and a consistency check across the nodes
    const committedTotal = totalCommitted();
    await sleep(1000);
    result.rss = {
      committed_txs: committedTotal,
      validators: vals.map((v) => ({ node: v.i, pid: v.pid, restarted: v.i === flags.kill && phasesWanted.has('killrestart'), ...procMem(v.pid) })),
      max_rss_over_run_mb: vals.map((_, i) => Math.max(0, ...samplesT.map((s) => s.nodes[i]?.rss_mb ?? 0))),
    };
    const live = [0, 1, 2, 3].filter((i) => vals[i].alive);
    result.consistency = { live_nodes: live, ...(await chainConsistency(getJson, live.map(url), 10_000)) };
    if (!result.consistency.same_block_hash_at_common_height) log(`[network] WARNING: the nodes disagree at height ${result.consistency.common_height}`);
  } finally {
    polling = false;
    sampling = false;
    await Promise.race([Promise.all([pollLoop, samplerLoop]), sleep(3000)]);
    for (const c of clients) if (c.proc.exitCode === null && c.proc.connected) c.proc.send({ cmd: 'stop' });
    await Promise.race([Promise.all(clients.map((c) => (c.proc.exitCode === null ? new Promise((r) => c.proc.once('exit', r)) : null))), sleep(8000)]);
    log('[network] stopping validators (SIGTERM)');
    result.validator_exit = await stopValidators(vals, 30);
    // what the nodes logged (level warn and above), counted by message
    result.node_log_warnings = nodeLogWarnings(vals);
    agent.destroy();
  }

  ceilingRound('after stop');
  function clientsAckedEstimate() {
    return lat.ms.length + pending.size;
  }

  // ---------------------------------------------------------------------------------------------
  // figures
  const ceilV = median(ceilingRounds.map((r) => r.verify_per_s));
  const ceiling = (2 * ceilV) / 4;
  result.ceiling = {
    verify_per_s_one_core_rounds: ceilingRounds,
    verify_per_s_one_core_median: round(ceilV, 0),
    first_seen_key_verify_per_s_one_core_median: {
      der_inline_as_the_node_does: round(median(ceilingRounds.map((r) => r.fresh_key_der_verify_per_s)), 0),
      jwk_inline: round(median(ceilingRounds.map((r) => r.fresh_key_jwk_verify_per_s)), 0),
      note: 'every register_patient signer is new, so each validator verifies each of these transactions with a first-seen key',
    },
    formula: '2 cores × one core\'s native Ed25519 verify/s ÷ 4 validators (each validator verifies every transaction once)',
    ceiling_tx_per_s: round(ceiling, 0),
  };
  const fig = {};
  const P = result.phases;
  if (P.saturation) {
    const ratio = P.saturation.tx_per_s / ceiling;
    fig.saturation = { figure: 'committed tx/s at saturation', target: `>= ${flags.targetSaturation} x ceiling (${round(ceiling, 0)} tx/s)`, measured: P.saturation.tx_per_s, reference: round(ceiling, 0), ratio: round(ratio, 3), pass: ratio >= flags.targetSaturation };
  }
  if (P.latency) {
    const l = P.latency.latency;
    fig.latency = {
      figure: `commit latency at ${P.latency.offered_tx_per_s} tx/s (${flags.latFraction} x saturation), open loop`,
      target: `p99 <= ${flags.targetP99Ms} ms`,
      measured: { p50_ms: l.p50_ms, p99_ms: l.p99_ms, n: l.n },
      ratio: round(l.p99_ms / flags.targetP99Ms, 3),
      pass: l.p99_ms <= flags.targetP99Ms,
    };
  }
  if (P.killrestart) {
    const kr = P.killrestart;
    fig.one_down = { figure: `committed tx/s with validator ${kr.killed_node} killed (3 of 4 live)`, target: `>= ${flags.targetKill} x healthy (${kr.healthy.tx_per_s} tx/s, same run)`, measured: kr.one_down.tx_per_s, reference: kr.healthy.tx_per_s, ratio: kr.ratio_one_down_to_healthy, pass: kr.ratio_one_down_to_healthy >= flags.targetKill };
    const cu = kr.catchup;
    const ratioTx = cu.catchup_tx_per_s !== null && cu.network_while_down.tx_per_s > 0 ? cu.catchup_tx_per_s / cu.network_while_down.tx_per_s : 0;
    const ratioBlocks = cu.catchup_blocks_per_s !== null && cu.network_while_down.blocks_per_s > 0 ? cu.catchup_blocks_per_s / cu.network_while_down.blocks_per_s : 0;
    fig.catchup = {
      figure: `catch-up of restarted validator ${kr.killed_node} (${cu.missed_blocks} missed blocks, ${cu.missed_txs} txs)`,
      target: `>= ${flags.targetCatchup} x the network's commit rate while it was down`,
      measured: { tx_per_s: cu.catchup_tx_per_s, blocks_per_s: cu.catchup_blocks_per_s },
      reference: cu.network_while_down,
      ratio: round(ratioTx, 3),
      ratio_blocks: round(ratioBlocks, 3),
      pass: ratioTx >= flags.targetCatchup,
    };
  }
  if (result.rss) {
    const maxRss = Math.max(...result.rss.validators.map((v) => v.rss_mb ?? 0));
    fig.rss = {
      figure: `RSS per validator after ${result.rss.committed_txs} committed txs`,
      target: `<= ${flags.targetRssMb} MB (the issue: after 1,000,000)`,
      measured: result.rss.validators.map((v) => v.rss_mb),
      ratio: round(maxRss / flags.targetRssMb, 3),
      pass: maxRss <= flags.targetRssMb,
      note: result.rss.committed_txs < 1_000_000 ? `only ${result.rss.committed_txs} transactions: not the issue's 1,000,000 (nothing extrapolated)` : undefined,
    };
  }
  result.figures = fig;
  if (interrupted) result.interrupted = 'a signal ended the run early: later phases are missing';
  if (crashes.length > 0) {
    result.validator_crashes = crashes.map((c) => ({ ...c, at_s: round((c.at - (samplesT[0]?.t ?? c.at)) / 1000, 1), at: undefined }));
    fig.no_crash = { figure: 'validators stay up (no unexpected exit)', target: 'no crash', measured: `${crashes.length} crashed: ${crashes.map((c) => `node ${c.node} (${c.exit})`).join(', ')}`, ratio: null, pass: false };
  }
  result.rows = Object.values(fig).map((f) => ({ figure: f.figure, target: f.target, measured: f.measured, ratio: f.ratio, pass: f.pass }));
  result.clients = finals;
  result.poll_errors = pollErrors;
  result.acknowledged_never_seen_committed = pending.size;
  result.load = meterAll.stop(0);
  result.load.loadavg_at_end = readFileSync('/proc/loadavg', 'utf8').trim();
  result.samples_per_second = samplesT.map((s) => ({ t: round((s.t - samplesT[0].t) / 1000, 1), nodes: s.nodes.map((n) => (n ? [n.h, n.mempool, n.rss_mb ?? null, n.cpu_s === null ? null : round(n.cpu_s, 1)] : null)), clients_cpu_s: s.clients_cpu_s.map((x) => round(x, 1)) }));
  result.samples_per_second_columns = 'nodes[i] = [height, mempool size, VmRSS MB, CPU s]';
  result.phase_times_s = Object.fromEntries(Object.entries(phaseT).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([a, b]) => [a, round((b - (samplesT[0]?.t ?? 0)) / 1000, 1)]))]));
  result.pass = Object.values(fig).every((f) => f.pass);

  writeFileSync(join(flags.out, 'network.json'), JSON.stringify(result, null, 2) + '\n');
  if (result.timeline_kill_restart) {
    writeFileSync(join(flags.out, 'network-timeline.svg'), networkTimelineSvg(result));
    log(`[network] wrote ${join(flags.out, 'network.json')} and network-timeline.svg`);
  }
  log('\n| figure | target | measured | ratio | pass |\n|---|---|---|---|---|');
  for (const r of result.rows) log(`| ${r.figure} | ${r.target} | ${JSON.stringify(r.measured)} | ${r.ratio} | ${r.pass} |`);
  const { samples_per_second: _s, ...printed } = result;
  emit(printed);
  cleanup();
  process.exit(0);

  // ---------------------------------------------------------------------------------------------
  /** Per-second committed tx/s and latency of the transactions committed in that second, between t0 and t1. */
  function timeline(t0, t1, events, catchPoll) {
    const n = Math.ceil((t1 - t0) / 1000);
    const sec = Array.from({ length: n }, (_, i) => ({ t: i + 0.5, tx_per_s: 0, lats: [] }));
    for (const b of blocks) {
      const i = Math.floor((b.seen - t0) / 1000);
      if (i >= 0 && i < n) sec[i].tx_per_s += b.txs;
    }
    for (let j = 0; j < lat.seen.length; j++) {
      const i = Math.floor((lat.seen[j] - t0) / 1000);
      if (i >= 0 && i < n) sec[i].lats.push(lat.ms[j]);
    }
    // node k's lag behind node 0: its height from the per-second samples while alive, frozen at its
    // stored height while down, then the 50 ms catch-up polls
    const k = events.node;
    const tKillAbs = t0 + events.kill_s * 1000;
    const apiAbs = t0 + events.api_up_s * 1000;
    const pts = samplesT.filter((x) => x.nodes[k]?.alive && x.nodes[k]?.h !== null && (x.t < tKillAbs || x.t > apiAbs)).map((x) => [x.t, x.nodes[k].h]);
    pts.push([tKillAbs, catchPoll[0].h], ...catchPoll.map((p) => [p.t, p.h]));
    pts.sort((a, b) => a[0] - b[0]);
    const hkAt = (t) => {
      let h = null;
      for (const [pt, ph] of pts) if (pt <= t) h = ph;
      return h;
    };
    const h0At = (t) => {
      let h = null;
      for (const b of blocks) if (b.seen <= t) h = b.h;
      return h;
    };
    const lagOf = (t) => {
      const hk = hkAt(t);
      const h0 = h0At(t);
      return hk === null || h0 === null ? null : Math.max(0, h0 - hk);
    };
    return {
      events,
      seconds: sec.map((s) => ({
        t: s.t,
        tx_per_s: s.tx_per_s,
        latency_p50_ms: s.lats.length ? round(quantile(s.lats, 0.5), 0) : null,
        latency_p99_ms: s.lats.length ? round(quantile(s.lats, 0.99), 0) : null,
        node_lag_blocks: lagOf(t0 + (s.t + 0.5) * 1000),
      })),
    };
  }
}

// =============================================================================================
// helpers

/** Record offsets of the client slices (u16 length-prefixed records), the sizes, and the first 2000 transactions. */
function scanTxFile(file, n, parts) {
  const fd = openSync(file, 'r');
  const total = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  const per = Math.ceil(n / parts);
  const offsets = [0];
  const sizes = [];
  const samplesTxs = [];
  let filePos = 0;
  let have = 0;
  let off = 0;
  let idx = 0;
  let consumed = 0; // file offset of buf[0]
  for (;;) {
    buf.copy(buf, 0, off, have);
    consumed += off;
    have -= off;
    off = 0;
    const r = readSync(fd, buf, have, buf.length - have, filePos);
    filePos += r;
    have += r;
    while (have - off >= 2 && have - off >= 2 + buf.readUInt16BE(off)) {
      const len = buf.readUInt16BE(off);
      if (sizes.length < 20_000) sizes.push(len);
      if (samplesTxs.length < 2000) samplesTxs.push(new Uint8Array(buf.subarray(off + 2, off + 2 + len)));
      off += 2 + len;
      idx++;
      if (idx % per === 0 && idx < n) offsets.push(consumed + off);
    }
    if (r === 0) break;
  }
  closeSync(fd);
  if (idx !== n) die(`transaction file holds ${idx} records, expected ${n}`);
  while (offsets.length < parts) offsets.push(total);
  offsets.push(total);
  return { offsets, sizes, samplesTxs };
}

/** VmRSS and VmHWM of a process in MB. */
function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rss_mb: Math.round(kb('VmRSS') / 1024), hwm_mb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rss_mb: null, hwm_mb: null };
  }
}
