// Statistics of measured values, and a seeded PRNG.
import { Prng } from '@salus/consensus';

export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx]!;
}

export const median = (v: ArrayLike<number>): number => quantile(v, 0.5);

/** x to `digits` decimals (NaN and infinities unchanged: JSON writes them as null). */
export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** { n, median_<unit>, p90_<unit>, p99_<unit>, max_<unit> } */
export function summary(values: readonly number[], unit = 'us', digits = 2): Record<string, number> {
  return {
    n: values.length,
    [`median_${unit}`]: round(median(values), digits),
    [`p90_${unit}`]: round(quantile(values, 0.9), digits),
    [`p99_${unit}`]: round(quantile(values, 0.99), digits),
    [`max_${unit}`]: round(Math.max(...values), digits),
  };
}

export interface LatencyStats {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** Latency statistics of `xs` (ms): { n, p50, p90, p99, max }, rounded to 2 decimals (all null when empty). */
export function latencyStats(xs: readonly number[]): LatencyStats {
  if (xs.length === 0) return { n: 0, p50: null, p90: null, p99: null, max: null };
  const s = Float64Array.from(xs).sort();
  return { n: s.length, p50: round(quantile(s, 0.5), 2), p90: round(quantile(s, 0.9), 2), p99: round(quantile(s, 0.99), 2), max: round(s[s.length - 1]!, 2) };
}

/** A seeded PRNG (the consensus simulator's xoshiro128**): rnd(n) is an integer in [0, n). */
export function prng(seed = 1): (n: number) => number {
  const p = new Prng(seed);
  return (n) => p.int(n);
}
