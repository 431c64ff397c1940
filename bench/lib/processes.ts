// Child processes of the multi-process benchmarks: what a benchmark owns (a temp directory and the
// children it tracks), and what /proc says of a process's CPU and memory.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { log } from './cli.js';
import { tempDir } from './files.js';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

export interface Owned {
  readonly dir: string;
  /** tracks a child process until it exits; returns it */
  track<C extends ChildProcess>(c: C): C;
  /** SIGKILLs every tracked child still running and removes the directory (once) */
  cleanup(): void;
}

/**
 * What a multi-process benchmark owns: a fresh temp directory (`prefix`) and the child processes it
 * passes to track(). cleanup() SIGKILLs every tracked child still running and removes the directory
 * (with `keep`, logs `[tag] kept <dir>` instead); it runs once, and is registered on process exit, so
 * a failure (an exception that ends the process) still cleans up. Signals are the caller's: each
 * benchmark reacts to them its own way.
 */
export function ownedProcessesAndDir({ prefix, keep, tag }: { prefix: string; keep: boolean; tag: string }): Owned {
  const dir = tempDir(prefix);
  const children = new Set<ChildProcess>();
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    process.off('exit', cleanup);
    for (const c of children) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`[${tag}] kept ${dir}`);
  };
  process.on('exit', cleanup);
  const track = <C extends ChildProcess>(c: C): C => {
    children.add(c);
    c.once('exit', () => children.delete(c));
    return c;
  };
  return { dir, track, cleanup };
}

/** user + system CPU seconds of a process (from /proc/<pid>/stat), or NaN. */
export function procCpuS(pid: number | undefined): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export interface ProcMem {
  rss_mb: number | null;
  hwm_mb: number | null;
}

/** VmRSS and VmHWM of a process in MB. */
export function procMem(pid: number | undefined): ProcMem {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rss_mb: Math.round(kb('VmRSS') / 1024), hwm_mb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rss_mb: null, hwm_mb: null };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
