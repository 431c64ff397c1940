#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and
// inclusive time of chosen functions. Prints JSON on stdout.
//
//   node bench/out/ts/cpuprofile-summary.js bench/out/prof/CPU.*.cpuprofile [--top 30] [--inclusive name1,name2] [--under name]
// --under keeps only the samples whose stack holds a function of that name (percentages are of those).
// --before-end FROM,TO keeps only the samples taken between FROM and TO ms before the profile ends
// (a phase of a benchmark, e.g. 16000,4000 for the 12 s that ended 4 s before the process stopped).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { emit, fail, runMain } from './lib/cli.js';
import { ROOT_DIR } from './lib/paths.js';
import { round } from './lib/stats.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

runMain(async () => {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) fail('usage: cpuprofile-summary.js FILE.cpuprofile [--top N] [--inclusive fn1,fn2]');
  const argOf = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const top = Number(argOf('--top')) || 30;
  const inclusiveNames = argOf('--inclusive')?.split(',') ?? [];
  const under = argOf('--under');
  const window = argOf('--before-end')?.split(',').map(Number);

  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frameOf = (id: number): CallFrame => nodes.get(id)!.callFrame;

  // Self time per node from samples and timeDeltas.
  const self = new Map<number, number>();
  const isUnder = (id: number): boolean => {
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) if (frameOf(p).functionName === under) return true;
    return false;
  };
  const sampledAt: number[] = [];
  for (let i = 0, t = prof.startTime; i < prof.samples.length; i++) sampledAt.push((t += prof.timeDeltas[i] ?? 0));
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    if (under !== undefined && !isUnder(id)) continue;
    if (window && !(prof.endTime - sampledAt[i]! <= window[0]! * 1000 && prof.endTime - sampledAt[i]! > window[1]! * 1000)) continue;
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const root = ROOT_DIR;
  const where = (cf: CallFrame): string => {
    const url = cf.url ? relative(root, cf.url.replace('file://', '')) : '';
    return url ? `${url}:${cf.lineNumber + 1}` : '(native)';
  };

  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map(inclusiveNames.map((n) => [n, 0]));
  for (const [id, us] of self) {
    const cf = frameOf(id);
    const key = `${cf.functionName || '(anonymous)'} ${where(cf)}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const f = cf.url ? relative(root, cf.url.replace('file://', '')).replace(/^node_modules\/([^/]+(\/[^/]+)?)\/.*$/, 'node_modules/$1') : `(${cf.functionName || 'native'})`;
    byFile.set(f, (byFile.get(f) ?? 0) + us);
    if (inclusive.size > 0) {
      // Credit each named function once per sample stack.
      const seen = new Set<string>();
      for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
        const name = frameOf(p).functionName;
        if (inclusive.has(name) && !seen.has(name)) {
          seen.add(name);
          inclusive.set(name, inclusive.get(name)! + us);
        }
      }
    }
  }
  const pct = (us: number): number => round((100 * us) / totalUs, 1);
  const sorted = (m: Map<string, number>): [string, number][] => [...m.entries()].sort((a, b) => b[1] - a[1]);
  emit({
    file,
    under: under ?? null,
    total_ms: round(totalUs / 1000, 0),
    self_by_function_pct: Object.fromEntries(sorted(byFn).slice(0, top).map(([k, v]) => [k, pct(v)])),
    self_by_file_pct: Object.fromEntries(sorted(byFile).slice(0, top).map(([k, v]) => [k, pct(v)])),
    inclusive_pct: Object.fromEntries([...inclusive.entries()].map(([k, v]) => [k, pct(v)])),
  });
});
