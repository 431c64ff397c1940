#!/usr/bin/env node
// Runs every foundation benchmark in its own process, one after another, writes each one's JSON to
// bench/out/<name>.json and a summary to bench/out/summary.json (also printed on stdout; a table
// goes to stderr).
//
//   npm run bench                      full counts (1M keys, 1M transactions: about an hour on 2 cores)
//   npm run bench -- --quick           scaled down, about a minute
//   node bench/run.mjs --only throughput,proofs [--quick]
// Exit status: 0 when every benchmark ran (targets may fail: see the JSON); 1 if one crashed;
// with --strict, also 1 when a target fails.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, emit, log, machine, parseFlags } from './lib.mjs';

const flags = parseFlags({ quick: false, only: '', strict: false });

const BENCHES = {
  throughput: { full: ['--txs', '50000'], quick: ['--txs', '4000', '--warmup', '500', '--rounds', '2', '--ceiling-ms', '200'] },
  proofs: { full: [], quick: ['--proofs', '1000', '--pure-proofs', '50', '--block-txs', '1000', '--store-proofs', '10'] },
  state: { full: ['--proofs', '60000'], quick: ['--keys', '30000', '--proofs', '4000', '--cold', '500'] },
  million: { full: ['--tx-file', 'TXFILE'], quick: ['--txs', '6000', '--block', '3000', '--sample-every', '3000', '--tx-file', 'TXFILE'] },
  // Diagnostic: the first 200k of the same transactions with the node's state-tree cache at one entry
  // (StateStoreOptions.nodeCacheMax = 1; 0 means unbounded since 04f57f4), to attribute the RSS.
  million_nocache: {
    script: 'million',
    full: ['--txs', '200000', '--sample-every', '50000', '--tx-file', 'TXFILE', '--node-cache-max', '1'],
    quick: ['--txs', '6000', '--block', '3000', '--sample-every', '3000', '--tx-file', 'TXFILE', '--node-cache-max', '1'],
  },
  micro: { full: [], quick: ['--n', '2000', '--evictions', '20000'], node: ['--expose-gc'] },
};

const names = flags.only ? flags.only.split(',') : Object.keys(BENCHES);
for (const n of names) if (!BENCHES[n]) {
  log(`bench: unknown benchmark ${n}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

const outDir = join(BENCH_DIR, 'out');
mkdirSync(outDir, { recursive: true });
// The million runs share one file of pre-signed transactions (signing a million takes minutes).
const txFile = join(outDir, `txs-${flags.quick ? 'quick' : 'full'}.bin`);
rmSync(txFile, { force: true });

function runOne(name) {
  const b = BENCHES[name];
  const args = [...(b.node ?? []), join(BENCH_DIR, `${b.script ?? name}.mjs`), ...(flags.quick ? b.quick : b.full).map((a) => (a === 'TXFILE' ? txFile : a))];
  log(`\n=== ${name}: node ${args.map((a) => a.replace(BENCH_DIR + '/', 'bench/')).join(' ')}`);
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.on('exit', (code) => {
      if (code !== 0) return resolve({ error: `exited with ${code}` });
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve({ error: 'stdout was not one JSON object', stdout: text.slice(0, 2000) });
      }
    });
  });
}

/** The headline figures of each benchmark: [figure, target, measured, ratio, pass]. */
function rows(name, r) {
  if (r.error) return [[name, '-', r.error, '-', false]];
  switch (name) {
    case 'throughput':
      return Object.entries(r.workloads).map(([w, x]) => [
        `committed tx/s, ${w} (${x.tx_bytes_median} B)`,
        `>= ${x.target_ratio} x ceiling`,
        `${x.committed_tx_per_s_median} tx/s vs ${x.ceiling_verify_per_s_median} verify/s`,
        x.ratio,
        x.pass,
      ]);
    case 'proofs':
      return [
        ['verifyTxInclusion, native Ed25519', `<= ${r.flags.targetUs} us`, `${r.native.median_us} us (p99 ${r.native.p99_us})`, r.native.ratio_to_target, r.native.pass],
        ['verifyTxInclusion, pure-JS Ed25519 (client)', `<= ${r.flags.targetUs} us`, `${r.pure_js.median_us} us (p99 ${r.pure_js.p99_us})`, r.pure_js.ratio_to_target, r.pure_js.pass],
      ];
    case 'state':
      return [
        [`StateStore.prove at ${r.flags.keys} keys`, `<= ${r.flags.targetUs} us`, `${r.steady.median_us} us (p99 ${r.steady.p99_us})`, r.steady.ratio_to_target, r.steady.pass],
      ];
    case 'million':
    case 'million_nocache':
      if (name === 'million_nocache') {
        return [
          [`diagnostic, nodeCacheMax 1: disk bytes per tx (${r.committed} txs)`, `<= ${r.flags.targetDiskRatio} x ${r.tx_bytes_mean} B`, `${r.disk.bytes_per_tx} B`, r.disk.ratio_to_tx_bytes, r.disk.pass],
          [`diagnostic, nodeCacheMax 1: RSS after ${r.committed} txs`, `<= ${r.flags.targetRssMb} MB`, `${r.rss.rss_final_mb} MB`, r.rss.ratio_to_target, r.rss.pass],
        ];
      }
      return [
        [`disk bytes per tx (${r.committed} txs)`, `<= ${r.flags.targetDiskRatio} x ${r.tx_bytes_mean} B`, `${r.disk.bytes_per_tx} B`, r.disk.ratio_to_tx_bytes, r.disk.pass],
        [`node RSS after ${r.committed} txs`, `<= ${r.flags.targetRssMb} MB`, `${r.rss.rss_final_mb} MB`, r.rss.ratio_to_target, r.rss.pass],
      ];
    default:
      return [];
  }
}

const results = {};
let crashed = false;
for (const name of names) {
  const r = await runOne(name);
  results[name] = r;
  if (r.error) crashed = true;
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(r, null, 2) + '\n');
}

rmSync(txFile, { force: true });
// The summary covers the latest result of every benchmark: those not run now are read back from bench/out.
for (const n of Object.keys(BENCHES)) {
  if (results[n] || !existsSync(join(outDir, `${n}.json`))) continue;
  try {
    results[n] = JSON.parse(readFileSync(join(outDir, `${n}.json`), 'utf8'));
  } catch {
    // unreadable: left out
  }
}
const all = Object.keys(BENCHES).filter((n) => results[n]);
const table = all.flatMap((n) => rows(n, results[n]));
log('\n| figure | target | measured | ratio | pass |\n|---|---|---|---|---|');
for (const t of table) log(`| ${t.join(' | ')} |`);
const summary = {
  bench: 'summary',
  mode: flags.quick ? 'quick' : 'full',
  machine: machine(),
  rows: table.map(([figure, target, measured, ratio, pass]) => ({ figure, target, measured, ratio, pass })),
  ran_now: names,
  dates: Object.fromEntries(all.map((n) => [n, results[n].machine?.date ?? null])),
  load: Object.fromEntries(all.map((n) => [n, results[n].load ?? null])),
  pass: table.every((t) => t[4] === true),
  note: 'micro.json holds the micro-measurements behind the findings (no targets)',
};
writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
emit(summary);
process.exit(crashed || (flags.strict && !summary.pass) ? 1 : 0);
