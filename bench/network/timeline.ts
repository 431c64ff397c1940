// The per-second timeline of the kill-and-restart phase (plotted by plot/network-timeline.ts):
// committed tx/s, latency of the transactions committed in that second, the restarted node's lag.
import { quantile, round } from '../lib/stats.js';
import type { HeightPoint } from './catchup.js';
import type { Observer } from './observer.js';

export interface TimelineEvents {
  kill_s: number;
  restart_s: number;
  api_up_s: number;
  caught_up_missed_s: number | null;
  caught_up_tip_s: number | null;
  node: number;
}

export interface TimelineSecond {
  t: number;
  tx_per_s: number;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  node_lag_blocks: number | null;
}

export interface Timeline {
  events: TimelineEvents;
  seconds: TimelineSecond[];
}

/** Per-second committed tx/s and latency of the transactions committed in that second, between t0 and t1. */
export function timeline(obs: Observer, t0: number, t1: number, events: TimelineEvents, catchPoll: readonly HeightPoint[]): Timeline {
  const n = Math.ceil((t1 - t0) / 1000);
  const sec = Array.from({ length: n }, (_, i) => ({ t: i + 0.5, tx_per_s: 0, lats: [] as number[] }));
  for (const b of obs.blocks) {
    const i = Math.floor((b.seen - t0) / 1000);
    if (i >= 0 && i < n) sec[i]!.tx_per_s += b.txs;
  }
  const lat = obs.lat;
  for (let j = 0; j < lat.seen.length; j++) {
    const i = Math.floor((lat.seen[j]! - t0) / 1000);
    if (i >= 0 && i < n) sec[i]!.lats.push(lat.ms[j]!);
  }
  // node k's lag behind node 0: its height from the per-second samples while alive, frozen at its
  // stored height while down, then the 50 ms catch-up polls
  const k = events.node;
  const tKillAbs = t0 + events.kill_s * 1000;
  const apiAbs = t0 + events.api_up_s * 1000;
  const pts: [number, number][] = [];
  for (const x of obs.samples) {
    const nk = x.nodes[k];
    if (nk?.alive && nk.h !== null && (x.t < tKillAbs || x.t > apiAbs)) pts.push([x.t, nk.h]);
  }
  pts.push([tKillAbs, catchPoll[0]!.h], ...catchPoll.map((p): [number, number] => [p.t, p.h]));
  pts.sort((a, b) => a[0] - b[0]);
  const hkAt = (t: number): number | null => {
    let h: number | null = null;
    for (const [pt, ph] of pts) if (pt <= t) h = ph;
    return h;
  };
  const h0At = (t: number): number | null => {
    let h: number | null = null;
    for (const b of obs.blocks) if (b.seen <= t) h = b.h;
    return h;
  };
  const lagOf = (t: number): number | null => {
    const hk = hkAt(t);
    const h0 = h0At(t);
    return hk === null || h0 === null ? null : Math.max(0, h0 - hk);
  };
  return {
    events,
    seconds: sec.map((s) => ({
      t: s.t,
      tx_per_s: s.tx_per_s,
      latency_p50_ms: s.lats.length ? round(quantile(s.lats, 0.5), 0) : null,
      latency_p99_ms: s.lats.length ? round(quantile(s.lats, 0.99), 0) : null,
      node_lag_blocks: lagOf(t0 + (s.t + 0.5) * 1000),
    })),
  };
}
