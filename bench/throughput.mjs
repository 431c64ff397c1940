#!/usr/bin/env node
// Committed transactions per second of one Salus node, against the Ed25519 verification rate of one
// core measured in the same run (the ceiling). Pre-signed identity transactions go through
// chain.submit (decode, chain id, signature, duplicate check, nonce, checkTx) and are committed by
// the solo producer (propose, validate, execute, state tree, SQLite commit, recheck) — what the node
// really does, in-process, without HTTP.
//
//   node bench/throughput.mjs [--txs 50000] [--rounds 5] [--block 10000] [--workload register_patient,add_member]
// --block is how many transactions are submitted between block productions (a burst); the node cuts
// blocks by its own limits (blockTxsMax, blockBytesMax) and the producer commits until the mempool is empty.
//
// Rounds of throughput alternate with rounds of the ceiling so both see the same machine load; the
// ratio is median(throughput rounds) / median(ceiling rounds).
import { rmSync } from 'node:fs';
import {
  WORKLOADS,
  core,
  createNativeEd25519,
  emit,
  fail,
  generateTxs,
  loadMeter,
  log,
  machine,
  median,
  openBenchNode,
  parseFlags,
  performance,
  round,
  submitAndCommit,
  spkiOf,
  tempDir,
  verifyRate,
  verifySamples,
} from './lib.mjs';
import { verify as nodeVerify } from 'node:crypto';

const flags = parseFlags({
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
});
const workloads = flags.workload.split(',').filter(Boolean);
for (const w of workloads) if (!WORKLOADS.includes(w)) fail(`unknown workload ${w}; known: ${WORKLOADS.join(', ')}`);
if (flags.rounds < 1 || flags.txs < flags.rounds) fail('--txs must be at least --rounds');

const meter = loadMeter();
const results = {};
const ceilingRounds = [];

for (const workload of workloads) {
  log(`[throughput] ${workload}: signing ${flags.warmup + flags.txs + (flags.breakdown ? Math.ceil(flags.txs / flags.rounds) : 0)} transactions…`);
  const perRound = Math.ceil(flags.txs / flags.rounds);
  const total = flags.warmup + flags.txs + (flags.breakdown ? perRound : 0);
  const txs = await generateTxs({ workload, n: total, adminCount: flags.admins });
  const sizes = txs.map((t) => t.length);
  const dir = tempDir('salus-bench-tp-');
  const b = openBenchNode({ dir, adminCount: flags.admins });
  const ed = b.node.ed;

  // The ceiling: the node's own native Ed25519 (KeyObjects cached) over these transactions' sign bytes.
  const samples = verifySamples(txs, 2000);
  const ceiling = () => {
    const r = verifyRate(ed, samples, flags.ceilingMs);
    ceilingRounds.push(r);
    return r;
  };

  // Warm-up (JIT, SQLite page cache), not measured.
  let next = 0;
  submitAndCommit(b, txs.slice(0, flags.warmup), flags.block);
  next = flags.warmup;

  const rounds = [];
  const wCeil = [ceiling()];
  for (let r = 0; r < flags.rounds; r++) {
    const batch = txs.slice(next, Math.min(next + perRound, flags.warmup + flags.txs));
    next += batch.length;
    const t0 = performance.now();
    const { submitMs, commitMs } = submitAndCommit(b, batch, flags.block);
    const ms = performance.now() - t0;
    rounds.push({ txs: batch.length, tx_per_s: (batch.length / ms) * 1000, submit_ms: submitMs, commit_ms: commitMs });
    wCeil.push(ceiling());
    log(`[throughput] ${workload} round ${r + 1}/${flags.rounds}: ${Math.round((batch.length / ms) * 1000)} tx/s (ceiling ${Math.round(wCeil.at(-1))}/s)`);
  }

  // One instrumented round: where the time goes inside submit and commit.
  let breakdown;
  if (flags.breakdown) {
    const batch = txs.slice(next);
    breakdown = instrumentedRound(b, batch);
  }

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
  results[workload] = {
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
  await b.node.stop();
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  else log(`[throughput] kept ${dir}`);
}

/** Wraps the node's parts on this instance only, runs one round, and reports µs per transaction per part. */
function instrumentedRound(b, batch) {
  const spent = {};
  const wrap = (obj, name, label) => {
    const orig = obj[name];
    obj[name] = function (...args) {
      const t0 = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        spent[label] = (spent[label] ?? 0) + performance.now() - t0;
      }
    };
    return () => (obj[name] = orig);
  };
  const chain = b.node.chain;
  const app = chain.deps.app;
  const undo = [
    wrap(b.node.ed, 'verify', 'submit.signature_verify'),
    wrap(app, 'checkTx', 'submit.app_checkTx'),
    wrap(chain, 'proposeBlock', 'commit.propose_reap_txroot'),
    wrap(chain, 'validateBlock', 'commit.validate_decode'),
    wrap(app, 'executeBlock', 'commit.execute'),
    wrap(b.node.state, 'commit', 'commit.db.state_tree_and_rows'),
    wrap(b.node.blocks, 'save', 'commit.db.block_txs_index'),
    wrap(chain, 'recheck', 'commit.recheck_mempool'),
  ];
  // SQL statements executed, by statement, per transaction.
  const sqlCalls = {};
  const stmtGroups = { state: b.node.state.stmts, blocks: b.node.blocks.s, chain: chain.s };
  for (const [group, stmts] of Object.entries(stmtGroups)) {
    for (const [name, st] of Object.entries(stmts)) {
      for (const method of ['run', 'get', 'all']) {
        const orig = st[method];
        st[method] = function (...args) {
          sqlCalls[`${group}.${name}`] = (sqlCalls[`${group}.${name}`] ?? 0) + 1;
          return orig.apply(this, args);
        };
        undo.push(() => delete st[method]);
      }
    }
  }
  const db = b.node.db;
  const origTx = db.transaction;
  db.transaction = function (fn) {
    const t = origTx.call(this, fn);
    return (...args) => {
      const t0 = performance.now();
      try {
        return t(...args);
      } finally {
        spent['commit.db_transaction_total'] = (spent['commit.db_transaction_total'] ?? 0) + performance.now() - t0;
      }
    };
  };
  const { submitMs, commitMs } = submitAndCommit(b, batch, flags.block);
  for (const u of undo) u();
  db.transaction = origTx;
  const perTx = (ms) => round((ms * 1000) / batch.length, 1);
  const out = { txs: batch.length, submit_total: perTx(submitMs), commit_total: perTx(commitMs) };
  for (const [k, v] of Object.entries(spent).sort()) out[k] = perTx(v);
  out['submit.other_decode_hash_index_mempool'] = perTx(submitMs - (spent['submit.signature_verify'] ?? 0) - (spent['submit.app_checkTx'] ?? 0));
  out['commit.db.sqlite_commit_valset_other'] = perTx(
    (spent['commit.db_transaction_total'] ?? 0) - (spent['commit.db.state_tree_and_rows'] ?? 0) - (spent['commit.db.block_txs_index'] ?? 0),
  );
  out.sql_statements_per_tx = Object.fromEntries(
    Object.entries(sqlCalls)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, round(v / batch.length, 2)]),
  );
  out.sql_statements_per_tx.total = round(Object.values(sqlCalls).reduce((a, c) => a + c, 0) / batch.length, 2);
  out.state_tree_nodes = { cached: b.node.state.cache.size, cache_max: b.node.state.opts.nodeCacheMax };
  return out;
}

/** First-time verifications: the node's path (createPublicKey + verify) and verify with the DER key inline. */
function uncachedRates(txs) {
  const samples = verifySamples(txs, txs.length);
  const distinct = new Set(samples.map((s) => core.toHex(s.pk))).size;
  const ed = createNativeEd25519();
  let t0 = performance.now();
  for (const s of samples) ed.verify(s.pk, s.msg, s.sig);
  const viaCache = (samples.length / (performance.now() - t0)) * 1000;
  t0 = performance.now();
  for (const s of samples) nodeVerify(null, s.msg, { key: spkiOf(s.pk), format: 'der', type: 'spki' }, s.sig);
  const inline = (samples.length / (performance.now() - t0)) * 1000;
  return { distinct_signers: distinct, samples: samples.length, node_path_first_sight: round(viaCache, 0), der_key_inline: round(inline, 0) };
}

const load = meter.stop();
emit({
  bench: 'throughput',
  description: 'committed tx/s of one node (submit → checkTx → propose → execute → state tree → SQLite commit) vs Ed25519 verify/s of one core, same run',
  machine: machine(),
  load,
  flags,
  target: `committed tx/s >= ${flags.target} x ceiling (native Ed25519 verify/s, one core)`,
  ceiling_verify_per_s_median: round(median(ceilingRounds), 0),
  workloads: results,
  pass: Object.values(results).every((r) => r.pass),
});
