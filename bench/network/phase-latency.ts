// The latency phase: an open loop at --lat-fraction × the saturation rate; latency = the time the
// poller (status every --poll-ms, then GET /v1/blocks/:h) sees the transaction committed − submit time.
import { log } from '../lib/cli.js';
import { wallNow as now } from '../lib/validators.js';
import { drain, waitUntil, type NetContext } from './context.js';
import type { PhaseCpu } from './cpu.js';
import type { Rate, WindowLatency } from './rates.js';

export interface LatencyResult {
  offered_tx_per_s: number;
  committed: Rate;
  latency: WindowLatency;
  ran_out_of_txs: boolean;
  cpu: PhaseCpu;
}

export async function latencyPhase(ctx: NetContext, satRate: number): Promise<LatencyResult> {
  const { flags, obs, clients } = ctx;
  const rate = Math.max(1, Math.round(satRate * flags.latFraction));
  log(`[network] latency: open loop at ${rate} tx/s (${flags.latFraction} × ${satRate}), ${flags.latS} s`);
  const s0 = ctx.cpu.snap();
  const t0 = now();
  clients.setMode('open', { rate });
  const full = await waitUntil(ctx, t0 + flags.latS * 1000);
  const t1 = now();
  clients.setMode('idle');
  await drain(ctx, 'latency');
  const r = obs.rateBetween(t0 + flags.warmS * 1000, t1, t0);
  ctx.phaseT.latency = { t0, t1 };
  const result: LatencyResult = { offered_tx_per_s: rate, committed: r, latency: obs.latencyBetween(t0 + flags.warmS * 1000, t1), ran_out_of_txs: !full, cpu: ctx.cpu.since(s0, r.txs) };
  const l = result.latency;
  log(`[network] latency at ${rate} tx/s: p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms (n ${l.n})`);
  ctx.ceiling.round('after latency (network idle)');
  return result;
}
