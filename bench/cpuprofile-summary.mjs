#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and
// inclusive time of chosen functions. Prints JSON on stdout.
//
//   node bench/cpuprofile-summary.mjs bench/out/prof/CPU.*.cpuprofile [--top 30] [--inclusive name1,name2] [--under name]
// --under keeps only the samples whose stack holds a function of that name (percentages are of those).
// --before-end FROM,TO keeps only the samples taken between FROM and TO ms before the profile ends
// (a phase of a benchmark, e.g. 16000,4000 for the 12 s that ended 4 s before the process stopped).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BENCH_DIR, emit, fail, round } from './lib.mjs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) fail('usage: cpuprofile-summary.mjs FILE.cpuprofile [--top N] [--inclusive fn1,fn2]');
const top = Number(args[args.indexOf('--top') + 1]) || (args.includes('--top') ? 30 : 30);
const inclusiveNames = args.includes('--inclusive') ? args[args.indexOf('--inclusive') + 1].split(',') : [];
const under = args.includes('--under') ? args[args.indexOf('--under') + 1] : undefined;
const window = args.includes('--before-end') ? args[args.indexOf('--before-end') + 1].split(',').map(Number) : undefined;

const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from samples and timeDeltas.
const self = new Map();
const isUnder = (id) => {
  for (let p = id; p !== undefined; p = parent.get(p)) if (nodes.get(p).callFrame.functionName === under) return true;
  return false;
};
const sampledAt = [];
for (let i = 0, t = prof.startTime; i < prof.samples.length; i++) sampledAt.push((t += prof.timeDeltas[i] ?? 0));
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  if (under !== undefined && !isUnder(id)) continue;
  if (window && !(prof.endTime - sampledAt[i] <= window[0] * 1000 && prof.endTime - sampledAt[i] > window[1] * 1000)) continue;
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
const root = `${BENCH_DIR}/..`;
const where = (cf) => {
  const url = cf.url ? relative(root, cf.url.replace('file://', '')) : '';
  return url ? `${url}:${cf.lineNumber + 1}` : '(native)';
};

const byFn = new Map();
const byFile = new Map();
const inclusive = new Map(inclusiveNames.map((n) => [n, 0]));
for (const [id, us] of self) {
  const n = nodes.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${where(cf)}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const f = cf.url ? relative(root, cf.url.replace('file://', '')).replace(/^node_modules\/([^/]+(\/[^/]+)?)\/.*$/, 'node_modules/$1') : `(${cf.functionName || 'native'})`;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  if (inclusive.size > 0) {
    // Credit each named function once per sample stack.
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const name = nodes.get(p).callFrame.functionName;
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, inclusive.get(name) + us);
      }
    }
  }
}
const pct = (us) => round((100 * us) / totalUs, 1);
const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
emit({
  file,
  under: under ?? null,
  total_ms: round(totalUs / 1000, 0),
  self_by_function_pct: Object.fromEntries(sorted(byFn).slice(0, top).map(([k, v]) => [k, pct(v)])),
  self_by_file_pct: Object.fromEntries(sorted(byFile).slice(0, top).map(([k, v]) => [k, pct(v)])),
  inclusive_pct: Object.fromEntries([...inclusive.entries()].map(([k, v]) => [k, pct(v)])),
});
