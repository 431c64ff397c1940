// Small helpers of the records benchmark.
import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/processes.js';

export const now = (): number => performance.now();

/** A failure of the benchmark itself (not the node's), with a code like the node's errors. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = now() + timeoutMs;
  while (now() < end) {
    if (await check()) return;
    await sleep(5);
  }
  throw new BenchError('TIMEOUT', `timed out waiting for ${what}`);
}

export function mergeCounts(list: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of list) for (const [k, n] of Object.entries(o)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export function countInto(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

export function fmtMax(arr: readonly (number | null)[]): string {
  return arr.some((x) => x === null) ? 'timeout' : Math.max(...(arr as number[])).toFixed(1);
}

export function splitEven(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

export function rotate<T>(arr: readonly T[], k: number): T[] {
  const s = (k * Math.floor(arr.length / 2 + 1)) % arr.length;
  return [...arr.slice(s), ...arr.slice(0, s)];
}
