// The foundation suite: every single-node benchmark in its own process, one after another; each
// one's JSON to bench/out/<name>.json and a summary to bench/out/summary.json (also printed on
// stdout; a table goes to stderr). The summary covers the latest result of every benchmark: those
// not run now are read back from bench/out.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emit, fail, log } from '../lib/cli.js';
import { machine } from '../lib/machine.js';
import { BENCH_DIR, compiled, OUT_DIR } from '../lib/paths.js';
import { rowsOf, type BenchJson, type Row } from './rows.js';

interface BenchSpec {
  /** the compiled benchmark (<script>.js), when not the name */
  script?: string;
  full: string[];
  quick: string[];
  /** node's own flags */
  node?: string[];
}

const BENCHES: Record<string, BenchSpec> = {
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

function runOne(name: string, spec: BenchSpec, quick: boolean, txFile: string): Promise<BenchJson> {
  const args = [...(spec.node ?? []), compiled(`${spec.script ?? name}.js`), ...(quick ? spec.quick : spec.full).map((a) => (a === 'TXFILE' ? txFile : a))];
  log(`\n=== ${name}: node ${args.map((a) => a.replace(BENCH_DIR + '/', 'bench/')).join(' ')}`);
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d: Buffer) => (text += d.toString()));
    c.on('exit', (code) => {
      if (code !== 0) return resolve({ error: `exited with ${code}` });
      try {
        resolve(JSON.parse(text) as BenchJson);
      } catch {
        resolve({ error: 'stdout was not one JSON object', stdout: text.slice(0, 2000) });
      }
    });
  });
}

/** Runs the benchmarks named in `only` (all when empty); returns the exit status. */
export async function runFoundation(o: { quick: boolean; only: string; strict: boolean }): Promise<number> {
  const names = o.only ? o.only.split(',') : Object.keys(BENCHES);
  for (const n of names) if (!BENCHES[n]) fail(`unknown benchmark ${n}; known: ${Object.keys(BENCHES).join(', ')}`);

  mkdirSync(OUT_DIR, { recursive: true });
  // The million runs share one file of pre-signed transactions (signing a million takes minutes).
  const txFile = join(OUT_DIR, `txs-${o.quick ? 'quick' : 'full'}.bin`);
  rmSync(txFile, { force: true });

  const results: Record<string, BenchJson> = {};
  let crashed = false;
  for (const name of names) {
    const r = await runOne(name, BENCHES[name]!, o.quick, txFile);
    results[name] = r;
    if (r.error) crashed = true;
    writeFileSync(join(OUT_DIR, `${name}.json`), JSON.stringify(r, null, 2) + '\n');
  }
  rmSync(txFile, { force: true });
  for (const n of Object.keys(BENCHES)) {
    if (results[n] || !existsSync(join(OUT_DIR, `${n}.json`))) continue;
    try {
      results[n] = JSON.parse(readFileSync(join(OUT_DIR, `${n}.json`), 'utf8')) as BenchJson;
    } catch {
      // unreadable: left out
    }
  }
  const all = Object.keys(BENCHES).filter((n) => results[n]);
  const table: Row[] = all.flatMap((n) => rowsOf(n, results[n]!));
  log('\n| figure | target | measured | ratio | pass |\n|---|---|---|---|---|');
  for (const t of table) log(`| ${t.join(' | ')} |`);
  const summary = {
    bench: 'summary',
    mode: o.quick ? 'quick' : 'full',
    machine: machine(),
    rows: table.map(([figure, target, measured, ratio, pass]) => ({ figure, target, measured, ratio, pass })),
    ran_now: names,
    dates: Object.fromEntries(all.map((n) => [n, results[n]!.machine?.date ?? null])),
    load: Object.fromEntries(all.map((n) => [n, results[n]!.load ?? null])),
    pass: table.every((t) => t[4] === true),
    note: 'micro.json holds the micro-measurements behind the findings (no targets)',
  };
  writeFileSync(join(OUT_DIR, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  emit(summary);
  return crashed || (o.strict && !summary.pass) ? 1 : 0;
}
