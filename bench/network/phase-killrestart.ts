// The kill-and-restart phase: closed loop; after --healthy-s, SIGKILL validator --kill and submit to
// the other three for --down-s; restart it and measure how fast it commits the blocks it missed (its
// /v1/status height every 50 ms) against the network's commit rate; back to all four once at the tip.
// Also: the time from the SIGKILL to the first block the other three commit without it.
import { log } from '../lib/cli.js';
import { round } from '../lib/stats.js';
import { wallNow as now } from '../lib/validators.js';
import { followCatchup } from './catchup.js';
import { drain, waitUntil, type NetContext } from './context.js';
import type { PhaseCpu } from './cpu.js';
import { firstBlockAfterKill, type FirstBlockAfterKill } from './first-block.js';
import type { Rate } from './rates.js';
import { timeline, type Timeline } from './timeline.js';

export interface KillRestartResult {
  killed_node: number;
  load_during_catchup: string;
  healthy: Rate;
  one_down: Rate;
  one_down_including_first_seconds: Rate;
  ratio_one_down_to_healthy: number | null;
  first_block_after_kill: FirstBlockAfterKill;
  catchup: {
    height_at_restart: number;
    network_height_at_restart: number;
    missed_blocks: number;
    missed_txs: number;
    process_start_to_api_s: number;
    api_to_missed_committed_s: number | null;
    first_sync_to_missed_committed_s: number | null;
    api_to_tip_s: number | null;
    catchup_tx_per_s: number | null;
    catchup_blocks_per_s: number | null;
    network_while_down: { tx_per_s: number; blocks_per_s: number };
    network_during_catchup: { tx_per_s: number; blocks_per_s: number } | null;
    height_samples: [number, number, string][];
  };
  cpu: { healthy: PhaseCpu; one_down: PhaseCpu };
  ran_out_of_txs: boolean;
}

export async function killRestartPhase(ctx: NetContext): Promise<{ phase: KillRestartResult; timeline: Timeline; ranOut: boolean }> {
  const { flags, obs, clients, vals } = ctx;
  const k = flags.kill;
  log(`[network] kill-and-restart: closed loop; SIGKILL node ${k} after ${flags.healthyS} s, restart after ${flags.downS} s more`);
  const s0 = ctx.cpu.snap();
  const t0 = now();
  clients.setMode('closed');
  let full = await waitUntil(ctx, t0 + flags.healthyS * 1000);
  const healthyCpu = ctx.cpu.since(s0, obs.rateBetween(t0 + flags.warmS * 1000, now()).txs);
  const hBeforeKill = obs.samples.at(-1)?.nodes[k]?.h ?? null;
  const killed = vals[k]!;
  const tKill = now();
  killed.expectExit = true;
  killed.child.kill('SIGKILL');
  await new Promise<void>((r) => (killed.alive ? killed.child.once('exit', () => r()) : r()));
  clients.setTargets(ctx.liveUrls());
  log(`[network] SIGKILL node ${k} (pid ${killed.pid}) at height ~${hBeforeKill}; submitting to ${ctx.liveUrls().length} nodes`);
  const s1 = ctx.cpu.snap();
  full = full && (await waitUntil(ctx, tKill + flags.downS * 1000));
  const hNetAtRestart = obs.lastH;
  const tRestart = now();
  const downCpu = ctx.cpu.since(s1, obs.rateBetween(tKill + flags.warmS * 1000, tRestart).txs);
  if (flags.catchupIdle) clients.setMode('idle'); // the restarted node catches up with no new load
  const v = await ctx.startValidator(k, true);
  // the height it restarts at is the last it committed before the kill
  const firstBlock = firstBlockAfterKill(obs.blocks, tKill, tRestart, { key: ctx.nodesInit[k]!.nodeId, height: v.startHeight }, flags.pollMs);
  log(`[network] first block the other three committed after the SIGKILL of node ${k}: ${firstBlock.seconds === null ? 'none' : `${firstBlock.seconds} s after the SIGKILL (height ${firstBlock.height}, round ${firstBlock.round})`}`);
  log(`[network] restarted node ${k}: API up ${((v.apiAt - tRestart) / 1000).toFixed(2)} s after spawn at height ${v.startHeight}; network at ${hNetAtRestart}`);
  const { tMissed, tTip, points: catchPoll } = await followCatchup(ctx, k, v, hNetAtRestart);
  if (flags.catchupIdle) clients.setMode('closed');
  else clients.setTargets(ctx.liveUrls());
  log(`[network] node ${k}: missed blocks committed ${tMissed === null ? 'never' : ((tMissed - v.apiAt) / 1000).toFixed(2) + ' s'} after its API came up; at the tip ${tTip === null ? 'never' : ((tTip - v.apiAt) / 1000).toFixed(2) + ' s'}`);
  const tAfter = now();
  full = full && (await waitUntil(ctx, tAfter + flags.afterS * 1000));
  const t1 = now();
  clients.setMode('idle');
  await drain(ctx, 'kill-and-restart');
  ctx.phaseT.killrestart = { t0, t1, tKill, tRestart };

  const healthy = obs.rateBetween(t0 + flags.warmS * 1000, tKill, t0);
  const down = obs.rateBetween(tKill + flags.warmS * 1000, tRestart, tKill);
  const downAll = obs.rateBetween(tKill, tRestart);
  // the missed blocks: (startHeight, hNetAtRestart]
  const missed = obs.blocks.filter((b) => b.h > v.startHeight && b.h <= hNetAtRestart);
  const missedTxs = missed.reduce((s, b) => s + b.txs, 0);
  const firstMove = catchPoll.find((p) => p.h > v.startHeight);
  const catchS = tMissed !== null ? (tMissed - v.apiAt) / 1000 : null;
  const catchFromMoveS = tMissed !== null && firstMove ? (tMissed - firstMove.t) / 1000 : null;
  const netDuring = tMissed !== null ? obs.rateBetween(v.apiAt, tMissed, tRestart) : null;
  const phase: KillRestartResult = {
    killed_node: k,
    load_during_catchup: flags.catchupIdle ? 'none (submission paused from the restart until the node was at the tip)' : 'closed loop to the 3 other nodes',
    healthy,
    one_down: down,
    one_down_including_first_seconds: downAll,
    ratio_one_down_to_healthy: healthy.tx_per_s > 0 ? round(down.tx_per_s / healthy.tx_per_s, 3) : null,
    first_block_after_kill: firstBlock,
    catchup: {
      height_at_restart: v.startHeight,
      network_height_at_restart: hNetAtRestart,
      missed_blocks: missed.length,
      missed_txs: missedTxs,
      process_start_to_api_s: round((v.apiAt - tRestart) / 1000, 2),
      api_to_missed_committed_s: catchS === null ? null : round(catchS, 2),
      first_sync_to_missed_committed_s: catchFromMoveS === null ? null : round(catchFromMoveS, 2),
      api_to_tip_s: tTip === null ? null : round((tTip - v.apiAt) / 1000, 2),
      catchup_tx_per_s: catchS ? round(missedTxs / catchS, 1) : null,
      catchup_blocks_per_s: catchS ? round(missed.length / catchS, 3) : null,
      network_while_down: { tx_per_s: downAll.tx_per_s, blocks_per_s: downAll.blocks_per_s },
      network_during_catchup: netDuring ? { tx_per_s: netDuring.tx_per_s, blocks_per_s: netDuring.blocks_per_s } : null,
      height_samples: catchPoll.map((p) => [round((p.t - t0) / 1000, 2), p.h, p.src]),
    },
    cpu: { healthy: healthyCpu, one_down: downCpu },
    ran_out_of_txs: !full,
  };
  const cu = phase.catchup;
  log(`[network] healthy ${healthy.tx_per_s} tx/s; one down ${down.tx_per_s} tx/s; catch-up ${cu.catchup_tx_per_s} tx/s (${cu.catchup_blocks_per_s} blocks/s) vs network ${downAll.tx_per_s} tx/s (${downAll.blocks_per_s} blocks/s)`);
  const tl = timeline(
    obs,
    t0,
    t1,
    {
      kill_s: round((tKill - t0) / 1000, 2),
      restart_s: round((tRestart - t0) / 1000, 2),
      api_up_s: round((v.apiAt - t0) / 1000, 2),
      caught_up_missed_s: tMissed === null ? null : round((tMissed - t0) / 1000, 2),
      caught_up_tip_s: tTip === null ? null : round((tTip - t0) / 1000, 2),
      node: k,
    },
    catchPoll,
  );
  return { phase, timeline: tl, ranOut: !full };
}
