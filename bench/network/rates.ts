// Figures over what the poller saw: committed tx/s and blocks/s in a window, and commit latency of
// the transactions submitted in a window.
import { quantile, round } from '../lib/stats.js';

/** A block as node 0's poller saw it committed. */
export interface SeenBlock {
  h: number;
  /** wall-clock ms when the poller first saw it */
  seen: number;
  txs: number;
  /** the proposer's header time */
  time: number;
  /** the round it committed in, and the validators (public key hex) whose precommits its commit holds */
  round: number;
  signers: string[];
}

/** One entry per acknowledged transaction seen committed. */
export interface LatencyLog {
  seen: number[];
  ms: number[];
  tSubmit: number[];
  tSched: number[];
}

export interface Rate {
  tx_per_s: number;
  blocks_per_s: number;
  blocks: number;
  txs: number;
  span_s: number;
  too_few_blocks?: true;
  mean_block_txs?: number;
  max_block_txs?: number;
  mean_block_interval_ms?: number;
}

/** committed tx/s and blocks/s between the first block seen at or after `a` and the last seen at or before `b` */
export function rateBetween(blocks: readonly SeenBlock[], a: number, b: number, anchorMin = a): Rate {
  // the block before the window (seen no earlier than anchorMin) anchors it, when there is one
  const before = blocks.filter((x) => x.seen >= anchorMin && x.seen < a).at(-1);
  const inWin = [...(before ? [before] : []), ...blocks.filter((x) => x.seen >= a && x.seen <= b)];
  const first = inWin[0];
  const last = inWin.at(-1);
  if (!first || !last || inWin.length < 2 || last.seen - first.seen < 1) return { tx_per_s: 0, blocks_per_s: 0, blocks: Math.max(0, inWin.length - 1), txs: inWin.reduce((s, x) => s + x.txs, 0), span_s: 0, too_few_blocks: true };
  const txs = inWin.slice(1).reduce((s, x) => s + x.txs, 0);
  const spanS = (last.seen - first.seen) / 1000;
  return {
    tx_per_s: round(txs / spanS, 1),
    blocks_per_s: round((inWin.length - 1) / spanS, 3),
    blocks: inWin.length - 1,
    txs,
    span_s: round(spanS, 1),
    mean_block_txs: round(txs / (inWin.length - 1), 0),
    max_block_txs: Math.max(...inWin.map((x) => x.txs)),
    mean_block_interval_ms: round((spanS * 1000) / (inWin.length - 1), 0),
  };
}

export interface WindowLatency {
  n: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number | null;
  p99_from_schedule_ms: number;
}

/** Commit latency of the transactions whose `key` time (submit, or schedule) falls in [a, b]. */
export function latencyBetween(lat: LatencyLog, a: number, b: number, key: 'tSubmit' | 'tSched' = 'tSubmit'): WindowLatency {
  const xs: number[] = [];
  const fromSched: number[] = [];
  for (let i = 0; i < lat.ms.length; i++) {
    const t = lat[key][i]!;
    if (t >= a && t <= b) {
      xs.push(lat.ms[i]!);
      fromSched.push(lat.seen[i]! - lat.tSched[i]!);
    }
  }
  return {
    n: xs.length,
    p50_ms: round(quantile(xs, 0.5), 0),
    p90_ms: round(quantile(xs, 0.9), 0),
    p99_ms: round(quantile(xs, 0.99), 0),
    max_ms: xs.length ? round(Math.max(...xs), 0) : null,
    p99_from_schedule_ms: round(quantile(fromSched, 0.99), 0),
  };
}
