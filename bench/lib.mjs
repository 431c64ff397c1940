// Shared helpers of the benchmarks: flags, statistics, machine facts, transaction generation, a
// bench chain (genesis + SalusNode + solo block producer) driven in-process, the validator
// processes of the multi-process benchmarks (network.mjs, records.mjs, fhir.mjs), and the run of a
// 4-validator FAST localnet benchmark from its flags to its result file (records.mjs, fhir.mjs).
// Benchmarks print exactly one JSON object on stdout; everything else goes to stderr.
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { Prng } from '../packages/consensus/dist/index.js';

import * as core from '../packages/core/dist/index.js';
import { SoloEngine, systemClock } from '../packages/consensus/dist/index.js';
import { SalusNode, createNativeEd25519 } from '../packages/node/dist/index.js';
import { initLocalnet } from '../packages/node/dist/config/localnet.js';
import { freePortRange as nodeFreePortRange } from '../packages/node/dist/config/ports.js';

export { core, SalusNode, SoloEngine, createNativeEd25519, performance };

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const CHAIN_ID = 'salus-bench';

// ---------------------------------------------------------------------------------------------
// flags, output

/** Parses `--name value`, `--name=value` and bare `--flag` (true). Numbers like 1e6 or 1_000_000 are accepted. */
export function parseFlags(defaults, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
    let [name, value] = a.slice(2).split('=', 2);
    const key = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) fail(`unknown flag --${name}; known: ${Object.keys(defaults).map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(' ')}`);
    if (value === undefined) {
      if (typeof defaults[key] === 'boolean') value = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] : 'true';
      else value = argv[++i];
    }
    if (value === undefined) fail(`--${name} needs a value`);
    const d = defaults[key];
    if (typeof d === 'number') {
      const n = Number(String(value).replace(/_/g, ''));
      if (!Number.isFinite(n)) fail(`--${name} expects a number, got ${value}`);
      out[key] = n;
    } else if (typeof d === 'boolean') out[key] = value !== 'false' && value !== '0';
    else out[key] = String(value);
  }
  return out;
}

export function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

export const log = (...parts) => process.stderr.write(parts.join(' ') + '\n');

/** The one line of stdout a benchmark writes. */
export function emit(result) {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

// ---------------------------------------------------------------------------------------------
// statistics

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx];
}
export const median = (v) => quantile(v, 0.5);
export const round = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export function summary(values, unit = 'us', digits = 2) {
  return {
    n: values.length,
    [`median_${unit}`]: round(median(values), digits),
    [`p90_${unit}`]: round(quantile(values, 0.9), digits),
    [`p99_${unit}`]: round(quantile(values, 0.99), digits),
    [`max_${unit}`]: round(Math.max(...values), digits),
  };
}

/** A seeded PRNG (the consensus simulator's xoshiro128**): rnd(n) is an integer in [0, n). */
export function prng(seed = 1) {
  const p = new Prng(seed);
  return (n) => p.int(n);
}

// ---------------------------------------------------------------------------------------------
// machine facts and load

function procStat() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3] + (line[4] ?? 0);
    const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return undefined;
  }
}

/** Starts a load meter: machine-wide busy cores (from /proc/stat) versus this process's own CPU. */
export function loadMeter() {
  const s0 = procStat();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const la0 = loadavg();
  return {
    /** extraCpuMs: CPU time of children of ours, counted as ours */
    stop(extraCpuMs = 0) {
      const s1 = procStat();
      const c1 = process.cpuUsage(c0);
      const wallMs = performance.now() - t0;
      const ncpu = cpus().length;
      const selfCores = ((c1.user + c1.system) / 1000 + extraCpuMs) / wallMs;
      const machineCores = s0 && s1 ? ((s1.total - s1.idle - (s0.total - s0.idle)) / Math.max(1, s1.total - s0.total)) * ncpu : NaN;
      return {
        wall_s: round(wallMs / 1000, 1),
        loadavg_1m_start: round(la0[0], 2),
        loadavg_1m_end: round(loadavg()[0], 2),
        machine_busy_cores: round(machineCores, 2),
        bench_busy_cores: round(selfCores, 2),
        others_busy_cores: round(Math.max(0, machineCores - selfCores), 2),
      };
    },
  };
}

/** The code measured: git HEAD, whether packages/ has uncommitted changes, and when dist was last built. */
function codeVersion() {
  const root = join(BENCH_DIR, '..');
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const pkg of ['core', 'consensus', 'node']) {
    try {
      walk(join(root, 'packages', pkg, 'dist'));
    } catch {
      // not built
    }
  }
  const dirty = git('status', '--porcelain', '--', 'packages');
  return { git_head: git('rev-parse', '--short', 'HEAD'), packages_uncommitted_files: dirty === 'unknown' ? dirty : dirty.split('\n').filter(Boolean).length, dist_built: newest ? new Date(newest).toISOString() : 'unknown' };
}
// Read when the benchmark starts (dist may be rebuilt by others while a long run goes on).
let CODE = isMainThread ? codeVersion() : undefined;

export function machine() {
  const c = cpus();
  return {
    nproc: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    code: (CODE ??= codeVersion()),
  };
}

/** Total bytes of the regular files under a directory. */
export function dirBytes(dir) {
  let total = 0;
  const files = {};
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) total += dirBytes(p).total;
    else {
      total += st.size;
      files[name] = st.size;
    }
  }
  return { total, files };
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// keys and transactions

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A fresh Ed25519 key through OpenSSL: its raw public key and its private KeyObject. Imported from a
 * random seed as JWK (OpenSSL 3 decodes DER keys slowly; JWK import takes the raw seed; its "x" is
 * only type-checked, the public key is derived from the seed). Not generateKeyPairSync: on Node 20
 * it deadlocked in a worker thread (~KeyGenJob taking a mutex inside a GC weak callback).
 */
const DUMMY_X = 'A'.repeat(43);
export function freshKey() {
  const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: randomBytes(32).toString('base64url'), x: DUMMY_X }, format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(createPublicKey(keyObject).export({ format: 'jwk' }).x, 'base64url'));
  return { publicKey, keyObject };
}

export function keyFromSecret(secretKey) {
  const keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(Buffer.from(createPublicKey(keyObject).export({ format: 'jwk' }).x, 'base64url'));
  return { publicKey, secretKey, keyObject };
}

export const spkiOf = (pk) => Buffer.concat([SPKI_PREFIX, pk]);

/** Deterministic org admin keys, so the parent and a child process derive the same genesis. */
export function adminKeys(count, seedByte = 7) {
  return Array.from({ length: count }, (_, i) => {
    const sk = new Uint8Array(32).fill(seedByte);
    sk[0] = i & 0xff;
    sk[1] = (i >> 8) & 0xff;
    return keyFromSecret(sk);
  });
}

export const orgId = (i) => `org-${String(i).padStart(2, '0')}`;

export function benchGenesis(admins, nodePub, genesisTime = Date.now() - 60_000) {
  return {
    chainId: CHAIN_ID,
    genesisTime,
    organisations: admins.map((a, i) => ({
      id: orgId(i),
      name: `Bench Org ${i}`,
      kind: 'hospital',
      adminKey: core.toHex(a.publicKey),
      encryptionKey: core.toHex(new Uint8Array(32).fill(i + 1)),
    })),
    validators: [{ pubKey: core.toHex(nodePub), power: 10, org: orgId(0) }],
  };
}

/**
 * Workloads of identity-module transactions:
 *  - register_patient: a fresh patient key registers itself (nonce 0, a new signer every time); ~276 bytes.
 *  - add_member: org admins (round robin) add practitioners; the smallest add_member is ~383 bytes
 *    (two hex keys in the payload), so it cannot be padded down to 250.
 */
export const WORKLOADS = ['register_patient', 'add_member'];

function signedBytes(body, keyObject) {
  const signature = new Uint8Array(nodeSign(null, core.txSignBytes(body), keyObject));
  return core.encodeTx({ ...body, signature });
}

/** Transaction i of a workload (deterministic in i for add_member's nonces; keys are random). */
export function makeTx(workload, i, admins) {
  if (workload === 'register_patient') {
    const k = freshKey();
    const body = { chainId: CHAIN_ID, signer: k.publicKey, nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: randomBytes(32).toString('hex') } };
    return signedBytes(body, k.keyObject);
  }
  if (workload === 'add_member') {
    const a = i % admins.length;
    const admin = admins[a];
    const body = {
      chainId: CHAIN_ID,
      signer: admin.publicKey,
      nonce: Math.floor(i / admins.length),
      module: 'identity',
      type: 'add_member',
      payload: {
        org: orgId(a),
        signingKey: randomBytes(32).toString('hex'),
        encryptionKey: randomBytes(32).toString('hex'),
        role: 'practitioner',
        name: `Dr ${String(i).padStart(7, '0')}`,
      },
    };
    return signedBytes(body, admin.keyObject);
  }
  fail(`unknown workload ${workload}; known: ${WORKLOADS.join(', ')}`);
}

export function makeTxs(workload, from, to, admins) {
  const out = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = makeTx(workload, i, admins);
  return out;
}

/**
 * Pre-signs transactions [0, n) over `threads` worker threads (signing a million takes a while);
 * returns them in order. With `file`, writes them there instead (u16 length-prefixed records).
 */
export async function generateTxs({ workload, n, adminCount, threads = Math.max(1, cpus().length), file }) {
  const per = Math.ceil(n / threads);
  const parts = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per;
    const to = Math.min(n, from + per);
    if (from >= to) break;
    parts.push(
      new Promise((resolve) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { job: 'gen', workload, from, to, adminCount, file: file ? `${file}.part${t}` : undefined } });
        w.once('message', resolve);
        w.once('error', (e) => fail(`generator thread failed: ${e?.message ?? e}`));
        w.once('exit', (code) => code !== 0 && fail(`generator thread exited with ${code}`));
      }),
    );
  }
  const results = await Promise.all(parts);
  if (!file) return results.flat();
  const fd = openSync(file, 'w');
  for (let t = 0; t < results.length; t++) {
    writeSync(fd, readFileSync(`${file}.part${t}`));
    rmSync(`${file}.part${t}`);
  }
  closeSync(fd);
  return undefined;
}

function genWorker({ workload, from, to, adminCount, file }) {
  const admins = adminKeys(adminCount);
  if (!file) {
    parentPort.postMessage(makeTxs(workload, from, to, admins));
    return;
  }
  const fd = openSync(file, 'w');
  const chunk = 10_000;
  for (let a = from; a < to; a += chunk) {
    const txs = makeTxs(workload, a, Math.min(to, a + chunk), admins);
    const size = txs.reduce((s, t) => s + 2 + t.length, 0);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    for (const t of txs) {
      buf.writeUInt16BE(t.length, off);
      buf.set(t, off + 2);
      off += 2 + t.length;
    }
    writeSync(fd, buf);
  }
  closeSync(fd);
  parentPort.postMessage(true);
}

/** Reads a file written by generateTxs in chunks; yields arrays of transactions of at most `count`. */
export function* readTxFile(file, count) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  let have = 0;
  let pos = 0;
  let batch = [];
  for (;;) {
    const n = readSyncAt(fd, buf, have, pos);
    pos += n;
    have += n;
    let off = 0;
    while (have - off >= 2) {
      const len = buf.readUInt16BE(off);
      if (have - off < 2 + len) break;
      batch.push(new Uint8Array(buf.subarray(off + 2, off + 2 + len))); // a copy: the node keeps it in its mempool
      off += 2 + len;
      if (batch.length === count) {
        yield batch;
        batch = [];
      }
    }
    buf.copy(buf, 0, off, have);
    have -= off;
    if (n === 0) break;
  }
  closeSync(fd);
  if (batch.length > 0) yield batch;
}

function readSyncAt(fd, buf, offset, position) {
  return readSync(fd, buf, offset, buf.length - offset, position);
}

// ---------------------------------------------------------------------------------------------
// the chain under test

/**
 * A single-validator Salus node in this process (no HTTP API): SalusNode wires storage, state,
 * ledger, application and mempool as in production; the solo producer commits blocks on demand.
 */
export function openBenchNode({ dir, adminCount, nodeSecret, options = {} }) {
  const nodeKey = keyFromSecret(nodeSecret ?? new Uint8Array(32).fill(42));
  const admins = adminKeys(adminCount);
  const genesis = benchGenesis(admins, nodeKey.publicKey, 1_700_000_000_000);
  const nodeKeys = {
    signing: { publicKey: nodeKey.publicKey, secretKey: nodeKey.secretKey },
    encryption: { publicKey: new Uint8Array(32).fill(9), secretKey: new Uint8Array(32).fill(9) },
  };
  const dataDir = join(dir, 'data');
  const node = new SalusNode({ genesis, nodeKeys, dataDir, dbFile: join(dataDir, 'salus.db'), options: { log: { level: 'silent' }, ...options } });
  const engine = new SoloEngine(node.opts.solo, {
    host: node.chain,
    clock: systemClock,
    signer: {
      publicKey: nodeKey.publicKey,
      signPrecommit: (h, r, hash) => node.ed.sign(nodeKey.secretKey, core.precommitSignBytes(CHAIN_ID, h, r, hash)),
    },
    onError: (e) => fail(`block production failed: ${e?.message ?? e}`),
  });
  // Count results as the node reports them (the node's own onBlock event, wrapped).
  const counts = { ok: 0, failed: 0, codes: {} };
  const events = node.chain.deps.events;
  const orig = events.onBlock;
  events.onBlock = (header, results) => {
    for (const r of results) {
      if (r.code === 'OK') counts.ok++;
      else {
        counts.failed++;
        counts.codes[r.code] = (counts.codes[r.code] ?? 0) + 1;
      }
    }
    orig?.(header, results);
  };
  return { node, engine, admins, genesis, dataDir, counts, produce: () => engine.produce(Date.now()) };
}

/**
 * Admits `txs` through chain.submit (decode, chain id, signature, duplicate check, checkTx) in
 * bursts of `blockTxs`; after each burst the solo producer commits blocks until the mempool is
 * empty (blocks are cut by the node's own limits, blockTxsMax and blockBytesMax). Returns the time
 * spent admitting and committing.
 */
export function submitAndCommit(b, txs, blockTxs, onBlock) {
  let submitMs = 0;
  let commitMs = 0;
  for (let i = 0; i < txs.length; i += blockTxs) {
    const end = Math.min(txs.length, i + blockTxs);
    const t0 = performance.now();
    for (let j = i; j < end; j++) {
      try {
        b.node.chain.submit(txs[j]);
      } catch (e) {
        fail(`transaction ${j} refused at submit: ${e?.code ?? ''} ${e?.message ?? e}`);
      }
    }
    const t1 = performance.now();
    while (b.node.chain.mempool.size > 0) {
      const before = b.node.chain.mempool.size;
      b.produce();
      if (b.node.chain.mempool.size >= before) fail(`a block took none of the ${before} transactions in the mempool`);
    }
    const t2 = performance.now();
    submitMs += t1 - t0;
    commitMs += t2 - t1;
    onBlock?.(end);
  }
  return { submitMs, commitMs };
}

// ---------------------------------------------------------------------------------------------
// validator processes (network.mjs, records.mjs): `salus start` children, their HTTP API, cleanup

const MAIN_JS = join(BENCH_DIR, '..', 'packages/node/dist/cli/main.js');
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-millisecond resolution (performance.timeOrigin + performance.now()). */
const wallNow = () => performance.timeOrigin + performance.now();

/**
 * What a multi-process benchmark owns: a fresh temp directory (`prefix`) and the child processes it
 * passes to track(). cleanup() SIGKILLs every tracked child still running and removes the directory
 * (with `keep`, logs `[tag] kept <dir>` instead); it runs once, and is registered on process exit, so
 * a failure (fail(), an exception) still cleans up. Signals are the caller's: each benchmark reacts
 * to them its own way.
 */
export function ownedProcessesAndDir({ prefix, keep, tag }) {
  const dir = tempDir(prefix);
  const children = new Set();
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const c of children) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {}
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`[${tag}] kept ${dir}`);
  };
  process.on('exit', cleanup);
  /** Tracks a child process until it exits; returns it. */
  const track = (c) => {
    children.add(c);
    c.once('exit', () => children.delete(c));
    return c;
  };
  return { dir, track, cleanup };
}

/** The last `n` characters of a text file, or '' when it cannot be read. */
function fileTail(file, n) {
  try {
    return readFileSync(file, 'utf8').slice(-n);
  } catch {
    return '';
  }
}

/**
 * Spawns validator `i` as `node [nodeArgs] packages/node/dist/cli/main.js start --home <home>` (stdout
 * piped and read, stderr appended to <home>/node.log), tracked by `track`. Resolves, once the node
 * prints its API address, with { i, home, child, pid, url, spawnedAt, apiAt, startHeight, alive }
 * (spawnedAt, apiAt: wall-clock ms; startHeight: the height it printed, -1 when none). Rejects when it
 * exits before that (with the end of its node.log) or after `timeoutMs`. Afterwards `alive` turns false
 * when it exits; an exit without `expectExit` set on the returned object is a crash: logged with the
 * end of node.log and passed to onCrash({ node, exit, logTail }).
 */
export async function spawnValidator({ i, home, nodeArgs = [], track, tag, onCrash, timeoutMs = 60_000 }) {
  const logFile = join(home, 'node.log');
  const logFd = openSync(logFile, 'a');
  const spawnedAt = wallNow();
  const child = track(spawn(process.execPath, [...nodeArgs, MAIN_JS, 'start', '--home', home], { stdio: ['ignore', 'pipe', logFd] }));
  closeSync(logFd);
  const v = await new Promise((resolve, reject) => {
    let outText = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`validator ${i} did not start in ${timeoutMs / 1000} s; see ${logFile}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      if (found) return; // keep draining the pipe
      outText += d;
      const url = /API\s+(\S+)\/v1\/status/.exec(outText)?.[1];
      if (url) {
        found = true;
        clearTimeout(timer);
        resolve({ i, home, child, pid: child.pid, url, spawnedAt, apiAt: wallNow(), startHeight: Number(/height (\d+)/.exec(outText)?.[1] ?? -1), alive: true });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`validator ${i} exited (${sig ?? code}) before serving; its node.log ends:\n${fileTail(logFile, 3000)}`));
    });
  });
  child.once('exit', (code, sig) => {
    v.alive = false;
    if (v.expectExit) return;
    const logTail = fileTail(logFile, 1500);
    onCrash?.({ node: i, exit: sig ?? code, logTail });
    log(`[${tag}] validator ${i} exited unexpectedly (${sig ?? code}); its node.log ends:\n${logTail}`);
  });
  return v;
}

/**
 * Stops the live validators: SIGTERM, then SIGKILL after `graceS` seconds. Resolves with one entry per
 * validator: its exit code or signal, 'SIGKILL after <graceS> s', or null for one that was not alive.
 */
export function stopValidators(vals, graceS) {
  return Promise.all(
    vals.map((v) => {
      if (!v.alive) return null;
      const exited = new Promise((r) => v.child.once('exit', (code, sig) => r(sig ?? code)));
      v.expectExit = true;
      v.child.kill('SIGTERM');
      return Promise.race([exited, sleep(graceS * 1000).then(() => (v.child.kill('SIGKILL'), `SIGKILL after ${graceS} s`))]);
    }),
  );
}

/** What each validator logged at level warn and above (its <home>/node.log, JSON lines), counted by message (numbers in reasons as N). */
export function nodeLogWarnings(vals) {
  return vals.map((v) => {
    const counts = {};
    try {
      for (const line of readFileSync(join(v.home, 'node.log'), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line);
          const key = `${j.level >= 50 ? 'error' : 'warn'}: ${j.msg}${j.reason ? ` (${String(j.reason).replace(/\d+/g, 'N')})` : ''}`;
          counts[key] = (counts[key] ?? 0) + 1;
        } catch {}
      }
    } catch {}
    return counts;
  });
}

/**
 * A JSON GET over `agent`: getJson(url, timeoutMs = 5000) resolves with the parsed body of a 200; any
 * other status rejects with an Error carrying `status` and the body's error code as `code`.
 */
export function jsonGetter(agent) {
  return (u, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const req = http.get(u, { agent, timeout: timeoutMs }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            const body = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) return reject(Object.assign(new Error(`${u}: HTTP ${res.statusCode} ${body.slice(0, 200)}`), { status: res.statusCode, code: errorCodeOf(body) }));
            resolve(JSON.parse(body));
          } catch (e) {
            reject(e);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${u}: timeout`)));
      req.on('error', reject);
    });
}

function errorCodeOf(body) {
  try {
    return JSON.parse(body)?.error?.code;
  } catch {
    return undefined;
  }
}

/** The committed height a node's API reports (GET <apiUrl>/v1/status, 2 s timeout), or -1. */
export const heightAt = (getJson, apiUrl) => getJson(`${apiUrl}/v1/status`, 2000).then((s) => s.height, () => -1);

/** Waits until every API in `apiUrls` reports height >= minHeight; fails the benchmark after timeoutMs. */
export async function waitForHeight(getJson, apiUrls, minHeight = 2, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await Promise.all(apiUrls.map((u) => heightAt(getJson, u)))).every((h) => h >= minHeight)) {
    if (Date.now() > end) fail(`the ${apiUrls.length} validators did not commit ${minHeight} blocks within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/**
 * Whether the nodes agree: their heights, the lowest of them, and whether every node returns the same
 * block hash at that height (a node whose block cannot be read counts as disagreeing).
 */
export async function chainConsistency(getJson, apiUrls, blockTimeoutMs = 5000) {
  const heights = await Promise.all(apiUrls.map((u) => heightAt(getJson, u)));
  const common = Math.min(...heights);
  const hashes = await Promise.all(apiUrls.map((u) => getJson(`${u}/v1/blocks/${common}`, blockTimeoutMs).then((b) => b.header.hash, () => null)));
  return { heights, common_height: common, same_block_hash_at_common_height: new Set(hashes).size === 1 && hashes[0] !== null };
}

/** user + system CPU seconds of a process (from /proc/<pid>/stat), or NaN. */
export function procCpuS(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** The first of `count` consecutive TCP ports free on 127.0.0.1, below the ephemeral range (fails the benchmark if none). */
export async function freePortRange(count) {
  try {
    return await nodeFreePortRange(count);
  } catch (e) {
    fail(e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// the Ed25519 ceiling

/**
 * Verifications per second of ONE core with the node's native implementation, over real transaction
 * sign bytes (the key objects cached, as the node caches them). Runs `rounds` rounds of ~`ms` each.
 */
export function verifyRate(ed, samples, ms = 400) {
  for (const s of samples) ed.verify(s.pk, s.msg, s.sig); // fills the key cache, warms the JIT
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      if (!ed.verify(s.pk, s.msg, s.sig)) fail('ceiling: a good signature did not verify');
    }
    n += samples.length;
    t = performance.now();
  }
  return (n / (t - t0)) * 1000;
}

export function verifySamples(txBytes, count) {
  const out = [];
  for (let i = 0; i < Math.min(count, txBytes.length); i++) {
    const tx = core.decodeTx(txBytes[i]);
    out.push({ pk: tx.signer, msg: core.txSignBytes(tx), sig: tx.signature });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the localnet benchmarks (records.mjs, fhir.mjs): 4 validator processes with FAST consensus timeouts,
// driven over HTTP, from the flags to the result file

/**
 * parseFlags for a benchmark with a --quick mode: `defaults` are the full run's values, `quickDefaults`
 * the ones --quick (or --quick=true) replaces, before the flags are read (so an explicit flag still
 * wins). The flags come out as { quick, ...defaults }, in that order.
 */
export function parseQuickFlags(defaults, quickDefaults, argv = process.argv.slice(2)) {
  const quick = argv.some((a) => a === '--quick' || a === '--quick=true');
  return parseFlags({ quick: false, ...defaults, ...(quick ? quickDefaults : {}) }, argv);
}

/**
 * The start of a localnet benchmark: ownedProcessesAndDir({ prefix, keep, tag }), then SIGINT, SIGTERM
 * and SIGHUP stop it (logged; onSignal() first, for what runs in this process; then cleanup and exit
 * 130) and an unhandled rejection fails it (the exit handler cleans up); then starts the load meter of
 * the whole run and logs the machine. Returns { dir, track, cleanup, meter, mach } (mach: machine()).
 */
export function startLocalnetBench({ prefix, keep, tag, onSignal }) {
  const owned = ownedProcessesAndDir({ prefix, keep, tag });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(sig, () => {
      log(`[${tag}] ${sig}: stopping (validators killed, ${keep ? 'temp dir kept' : 'temp dir removed'})`);
      onSignal?.();
      owned.cleanup();
      process.exit(130);
    });
  process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
  const meter = loadMeter();
  const mach = machine();
  log(`[${tag}] ${mach.nproc} cores (${mach.cpu_model}), load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  return { ...owned, meter, mach };
}

// the fast local timeouts the network tests use too
const { FAST_LOCAL_TIMEOUTS: FAST } = await import('../packages/node/dist/config/fast.js');

/**
 * Makes a 4-validator localnet under <dir>/net (initLocalnet: chain CHAIN_ID, 8 free ports, config
 * FAST + log level `logLevel` + `config`), starts the 4 validators as processes tracked by `track`
 * (validator `cpuProfNode` with --cpu-prof into `cpuProfDir`; a crash is pushed to `crashes` as
 * { node, exit, log_tail }; failing to start fails the benchmark) and waits until all 4 commit.
 * Returns { base, nodesInit, orgs, vals, crashes, url(i), agent, getJson, nodeCpu() } (getJson: a
 * jsonGetter over the keep-alive `agent`; nodeCpu: each validator's CPU seconds so far).
 */
export async function startFastLocalnet({ dir, track, tag, logLevel, config = {}, cpuProfNode = -1, cpuProfDir }) {
  const base = await freePortRange(8);
  const nodesInit = initLocalnet({ dir: join(dir, 'net'), validators: 4, chainId: CHAIN_ID, apiPortBase: base, p2pPortBase: base + 4, config: { ...FAST, log: { level: logLevel }, ...config } });
  const vals = [];
  const crashes = [];
  log(`[${tag}] starting 4 validators (ports ${base}…${base + 7}; FAST consensus timeouts)`);
  try {
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        // (Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line)
        const nodeArgs = i === cpuProfNode ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
        if (nodeArgs.length > 0) mkdirSync(cpuProfDir, { recursive: true });
        vals[i] = await spawnValidator({ i, home: nodesInit[i].home, nodeArgs, track, tag, onCrash: (c) => crashes.push({ node: c.node, exit: c.exit, log_tail: c.logTail }) });
      }),
    );
  } catch (e) {
    fail(e.message);
  }
  const url = (i) => vals[i].url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const getJson = jsonGetter(agent);
  await waitForHeight(getJson, [0, 1, 2, 3].map(url));
  const nodeCpu = () => vals.map((v) => procCpuS(v.pid));
  return { base, nodesInit, orgs: nodesInit.map((n) => n.org), vals, crashes, url, agent, getJson, nodeCpu };
}

/**
 * The head of a localnet benchmark's result: { bench, description, machine, flags, setup, phases: {} },
 * setup being { validators: 4, organisations, ...setupHead, consensus_options (what FAST is), ...setup }.
 */
export function localnetResult({ bench, description, mach, flags, orgs, setupHead = {}, setup }) {
  const consensusOptions = 'FAST of packages/node/test/net-harness.ts: timeoutPropose 800 ms (+200/round), prevote/precommit 300 ms (+200/round), commitDelay 20 ms, emptyBlockWait 300 ms, gossip/sync status 300 ms; p2p backoff 100–1000 ms. NOT the production defaults.';
  return { bench, description, machine: mach, flags, setup: { validators: 4, organisations: orgs, ...setupHead, consensus_options: consensusOptions, ...setup }, phases: {} };
}

/**
 * The end of a localnet benchmark's measurements: sets result.consistency (chainConsistency of the 4
 * nodes), stops the validators (SIGTERM, SIGKILL after 15 s: result.validator_exit), sets
 * result.node_log_warnings and closes the HTTP agent. Returns each validator's CPU seconds, read
 * before the stop.
 */
export async function stopFastLocalnet(net, tag, result) {
  result.consistency = await chainConsistency(net.getJson, [0, 1, 2, 3].map(net.url));
  const validatorCpuS = net.nodeCpu();
  log(`[${tag}] stopping validators (SIGTERM)`);
  result.validator_exit = await stopValidators(net.vals, 15);
  result.node_log_warnings = nodeLogWarnings(net.vals);
  net.agent.destroy();
  return validatorCpuS;
}

/**
 * Sets result.figures (`fig`, with a failed no_crash figure added when a validator crashed),
 * result.validator_crashes and result.load: the run's load meter stopped, counting the validators' CPU
 * (and `extraCpuS` of other children) as the benchmark's, with `note` and each validator's CPU seconds.
 */
export function setFiguresAndLoad({ result, fig, crashes, meter, validatorCpuS, extraCpuS = 0, note }) {
  if (crashes.length > 0) fig.no_crash = { figure: 'validators stay up', target: 'no crash', measured: crashes.map((c) => `node ${c.node} (${c.exit})`).join(', '), met: false };
  result.figures = fig;
  result.validator_crashes = crashes;
  result.load = meter.stop((validatorCpuS.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) + extraCpuS) * 1000);
  result.load.note = note;
  result.load.validator_cpu_s = validatorCpuS.map((x) => round(x, 1));
}

/**
 * The summary of a localnet benchmark's figures: { consensus, ...beforeTargets, targets, ...afterTargets,
 * all_targets_met, missed } (the figures with a target: whether all are met, which are not).
 */
export function figureSummary(fig, beforeTargets = {}, afterTargets = {}) {
  const withTargets = Object.values(fig).filter((f) => f.met !== null);
  return {
    consensus: 'FAST timeouts (net-harness), 4 validator processes on loopback',
    ...beforeTargets,
    targets: Object.fromEntries(Object.entries(fig).map(([k, f]) => [k, { target: f.target, measured: f.measured, met: f.met }])),
    ...afterTargets,
    all_targets_met: withTargets.every((f) => f.met),
    missed: withTargets.filter((f) => !f.met).map((f) => f.figure),
  };
}

/** Writes `result` to <out>/<tag>.json and logs its figures as a Markdown table (stderr). */
export function writeResultFile(result, out, tag) {
  const file = join(out, `${tag}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`[${tag}] wrote ${file}`);
  log('\n| figure | target | measured | met |\n|---|---|---|---|');
  for (const f of Object.values(result.figures)) log(`| ${f.figure} | ${f.target ?? '—'} | ${JSON.stringify(f.measured)} | ${f.met ?? '—'} |`);
}

/** Latency statistics of `xs` (ms): { n, p50, p90, p99, max }, rounded to 2 decimals (all null when empty). */
export function latencyStats(xs) {
  if (xs.length === 0) return { n: 0, p50: null, p90: null, p99: null, max: null };
  const s = Float64Array.from(xs).sort();
  return { n: s.length, p50: round(quantile(s, 0.5), 2), p90: round(quantile(s, 0.9), 2), p99: round(quantile(s, 0.99), 2), max: round(s[s.length - 1], 2) };
}

// ---------------------------------------------------------------------------------------------

if (!isMainThread && workerData?.job === 'gen') genWorker(workerData);
