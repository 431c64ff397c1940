// The saturation phase: a closed loop (≤ --concurrency requests in flight and ≤ --window acknowledged
// but not yet committed transactions); committed tx/s over the steady window, from the blocks the
// poller reads off node 0 (sum of their txs / time between the first and last block seen).
import { log } from '../lib/cli.js';
import { round } from '../lib/stats.js';
import { wallNow as now } from '../lib/validators.js';
import { drain, waitUntil, type NetContext } from './context.js';
import type { PhaseCpu } from './cpu.js';
import type { Rate, WindowLatency } from './rates.js';

export interface SaturationResult extends Rate {
  window_s: number;
  ran_out_of_txs: boolean;
  latency_at_saturation: WindowLatency;
  cpu: PhaseCpu;
  /** the same over the measured window only (from the end of the warm-up): per committed transaction without the warm-up's CPU */
  cpu_after_warm_up: PhaseCpu;
}

export async function saturationPhase(ctx: NetContext): Promise<SaturationResult> {
  const { flags, obs, clients } = ctx;
  log(`[network] saturation: closed loop, ${flags.concurrency} in flight, window ${flags.window}, ${flags.satS} s`);
  const s0 = ctx.cpu.snap();
  const t0 = now();
  clients.setMode('closed');
  let full = await waitUntil(ctx, t0 + flags.warmS * 1000);
  const sWarm = ctx.cpu.snap();
  full = full && (await waitUntil(ctx, t0 + flags.satS * 1000));
  const t1 = now();
  const r = obs.rateBetween(t0 + flags.warmS * 1000, t1, t0);
  const cpu = ctx.cpu.since(s0, r.txs);
  const cpuAfterWarmUp = ctx.cpu.since(sWarm, r.txs);
  await drain(ctx, 'saturation');
  ctx.phaseT.saturation = { t0, t1 };
  log(`[network] saturation: ${r.tx_per_s} tx/s (${r.blocks} blocks, mean ${r.mean_block_txs} txs, ${r.mean_block_interval_ms} ms apart)`);
  ctx.ceiling.round('after saturation (network idle)');
  return { ...r, window_s: round((t1 - t0) / 1000 - flags.warmS, 1), ran_out_of_txs: !full, latency_at_saturation: obs.latencyBetween(t0 + flags.warmS * 1000, t1), cpu, cpu_after_warm_up: cpuAfterWarmUp };
}
