// Machine facts and load: what ran the benchmark, on which code, beside how much other work.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { ROOT_DIR } from './paths.js';
import { round } from './stats.js';

function procStat(): { idle: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3]! + (line[4] ?? 0);
    const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return undefined;
  }
}

export interface LoadReport {
  wall_s: number;
  loadavg_1m_start: number;
  loadavg_1m_end: number;
  machine_busy_cores: number;
  bench_busy_cores: number;
  others_busy_cores: number;
  [extra: string]: unknown;
}

export interface LoadMeter {
  /** extraCpuMs: CPU time of children of ours, counted as ours */
  stop(extraCpuMs?: number): LoadReport;
}

/** Starts a load meter: machine-wide busy cores (from /proc/stat) versus this process's own CPU. */
export function loadMeter(): LoadMeter {
  const s0 = procStat();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const la0 = loadavg();
  return {
    stop(extraCpuMs = 0) {
      const s1 = procStat();
      const c1 = process.cpuUsage(c0);
      const wallMs = performance.now() - t0;
      const ncpu = cpus().length;
      const selfCores = ((c1.user + c1.system) / 1000 + extraCpuMs) / wallMs;
      const machineCores = s0 && s1 ? ((s1.total - s1.idle - (s0.total - s0.idle)) / Math.max(1, s1.total - s0.total)) * ncpu : NaN;
      return {
        wall_s: round(wallMs / 1000, 1),
        loadavg_1m_start: round(la0[0]!, 2),
        loadavg_1m_end: round(loadavg()[0]!, 2),
        machine_busy_cores: round(machineCores, 2),
        bench_busy_cores: round(selfCores, 2),
        others_busy_cores: round(Math.max(0, machineCores - selfCores), 2),
      };
    },
  };
}

export interface CodeVersion {
  git_head: string;
  packages_uncommitted_files: number | string;
  dist_built: string;
}

/** The code measured: git HEAD, whether packages/ has uncommitted changes, and when dist was last built. */
function codeVersion(): CodeVersion {
  const git = (...args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const pkg of ['core', 'consensus', 'node']) {
    try {
      walk(join(ROOT_DIR, 'packages', pkg, 'dist'));
    } catch {
      // not built
    }
  }
  const dirty = git('status', '--porcelain', '--', 'packages');
  return { git_head: git('rev-parse', '--short', 'HEAD'), packages_uncommitted_files: dirty === 'unknown' ? dirty : dirty.split('\n').filter(Boolean).length, dist_built: newest ? new Date(newest).toISOString() : 'unknown' };
}
// Read when the benchmark starts (dist may be rebuilt by others while a long run goes on).
let CODE = isMainThread ? codeVersion() : undefined;

export interface Machine {
  nproc: number;
  cpu_model: string;
  node: string;
  platform: string;
  date: string;
  code: CodeVersion;
}

export function machine(): Machine {
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

/** The machine's load average line (/proc/loadavg), or '' where there is none. */
export function loadavgLine(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return '';
  }
}
