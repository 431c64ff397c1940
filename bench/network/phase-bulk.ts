// The bulk phase: a closed loop through the rest of the --txs pre-signed transactions (or until
// --bulk-max-s), so that the validators' memory is measured after as many as possible.
import { log } from '../lib/cli.js';
import { loadavgLine } from '../lib/machine.js';
import { procMem, sleep } from '../lib/processes.js';
import { wallNow as now } from '../lib/validators.js';
import { Aborted, drain, type NetContext } from './context.js';
import type { PhaseCpu } from './cpu.js';
import type { Rate, WindowLatency } from './rates.js';

export interface BulkResult extends Rate {
  cut_by_bulk_max_s: boolean;
  cpu: PhaseCpu;
  latency: WindowLatency;
}

export async function bulkPhase(ctx: NetContext): Promise<BulkResult> {
  const { flags, obs, clients, vals } = ctx;
  const left = flags.txs - obs.ackedEstimate();
  log(`[network] bulk: closed loop through the remaining ~${left} transactions`);
  const s0 = ctx.cpu.snap();
  const t0 = now();
  const c0 = obs.totalCommitted();
  let bulkCut = false;
  clients.setMode('closed');
  let lastLog = now();
  let lastCount = c0;
  let lastMove = now();
  while (!clients.allExhausted()) {
    if (ctx.crashes.length > 0 || ctx.interrupted()) throw new Aborted();
    await sleep(500);
    const c = obs.totalCommitted();
    if (c !== lastCount) {
      lastCount = c;
      lastMove = now();
    }
    if (now() - lastMove > 120_000) {
      log('[network] bulk: nothing committed for 120 s; stopping');
      break;
    }
    if (flags.bulkMaxS > 0 && now() - t0 > flags.bulkMaxS * 1000) {
      log(`[network] bulk: --bulk-max-s ${flags.bulkMaxS} reached; stopping (RSS is reported after the transactions actually committed)`);
      bulkCut = true;
      break;
    }
    if (now() - lastLog > 30_000) {
      lastLog = now();
      const rss = vals.map((v) => (v.alive ? procMem(v.pid).rss_mb : null));
      log(`[network] bulk: ${c} committed, ${Math.round(((c - c0) / (now() - t0)) * 1000)} tx/s, RSS ${rss.join('/')} MB, load ${loadavgLine().split(' ')[0]}`);
    }
  }
  const t1 = now();
  await drain(ctx, 'bulk');
  ctx.phaseT.bulk = { t0, t1 };
  const r = obs.rateBetween(t0 + flags.warmS * 1000, t1, t0);
  return { ...r, cut_by_bulk_max_s: bulkCut, cpu: ctx.cpu.since(s0, r.txs), latency: obs.latencyBetween(t0 + flags.warmS * 1000, t1) };
}
