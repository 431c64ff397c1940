// How fast a restarted validator commits the blocks it missed: its own /v1/status height every
// 50 ms (which stalls while it applies a sync batch), and the height it announces to node 0 by block
// sync (node 0's status, read by the poller every --poll-ms).
import { sleep } from '../lib/processes.js';
import { wallNow as now, type Validator } from '../lib/validators.js';
import { Aborted, type NetContext } from './context.js';

/** A height of the restarted node: at its start, from its API, or as node 0's peer. */
export interface HeightPoint {
  t: number;
  h: number;
  src: 'start' | 'api' | 'peer';
}

export interface Catchup {
  /** when it had committed every block the network had at its restart (null: never) */
  tMissed: number | null;
  /** when it was at the network's tip (null: never within --catchup-timeout-s) */
  tTip: number | null;
  /** its heights over time, sorted */
  points: HeightPoint[];
}

/** Follows restarted validator `k` (up as `v`) until it is at the tip or --catchup-timeout-s passes. */
export async function followCatchup(ctx: NetContext, k: number, v: Validator, hNetAtRestart: number): Promise<Catchup> {
  const points: HeightPoint[] = [{ t: v.apiAt, h: v.startHeight, src: 'start' }];
  let tMissed: number | null = null;
  let tTip: number | null = null;
  let catching = true;
  let hk = v.startHeight;
  const idK = ctx.nodesInit[k]!.nodeId;
  const apiLoop = (async () => {
    while (catching) {
      const h = await ctx.heightOf(k);
      if (h >= 0) points.push({ t: now(), h, src: 'api' });
      await sleep(50);
    }
  })();
  try {
    const deadline = now() + ctx.flags.catchupTimeoutS * 1000;
    while (now() < deadline) {
      if (ctx.crashes.length > 0 || ctx.interrupted()) throw new Aborted();
      const ph = ctx.obs.peerHeights0[idK];
      if (ph !== undefined && ph !== points.findLast((p) => p.src === 'peer')?.h) points.push({ t: now(), h: ph, src: 'peer' });
      const t = now();
      hk = Math.max(hk, ...points.slice(-4).map((p) => p.h));
      if (tMissed === null && hk >= hNetAtRestart) tMissed = t;
      if (tMissed !== null && hk >= ctx.obs.lastH - 1) {
        tTip = t;
        break;
      }
      await sleep(20);
    }
  } finally {
    catching = false;
    await apiLoop;
  }
  points.sort((a, b) => a.t - b.t);
  return { tMissed, tTip, points };
}
