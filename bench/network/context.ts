// What the phases of the network benchmark share: the validators, the observer, the clients, the
// ceiling, and the controls every phase uses (wait while load runs, drain between phases).
import { log } from '../lib/cli.js';
import type { GetJson, NodeStatus } from '../lib/http.js';
import type { LocalnetNode } from '../lib/internals.js';
import { sleep } from '../lib/processes.js';
import { wallNow as now, type Validator } from '../lib/validators.js';
import type { NetworkCeiling } from './ceiling.js';
import type { LoadClients } from './clients.js';
import type { CpuAccount } from './cpu.js';
import type { NetworkFlags } from './flags.js';
import type { Observer } from './observer.js';

/** A phase ends early: a validator crashed or a signal came. */
export class Aborted extends Error {
  override readonly name = 'Aborted';
}

export interface NetCrash {
  node: number;
  exit: string | number | null;
  at: number;
  height_seen_by_poller: number | null;
  log_tail: string;
}

export interface NetContext {
  readonly flags: NetworkFlags;
  readonly vals: Validator[];
  readonly nodesInit: readonly LocalnetNode[];
  readonly crashes: NetCrash[];
  readonly obs: Observer;
  readonly clients: LoadClients;
  readonly cpu: CpuAccount;
  readonly ceiling: NetworkCeiling;
  readonly getJson: GetJson;
  /** start and end (and other instants) of each phase, wall-clock ms */
  readonly phaseT: Record<string, Record<string, number>>;
  url(i: number): string;
  liveUrls(): string[];
  heightOf(i: number): Promise<number>;
  /** (re)starts validator i as a process; restart: the kill-and-restart phase's restart */
  startValidator(i: number, restart?: boolean): Promise<Validator>;
  interrupted(): boolean;
}

/** Waits until wall-clock `t` while the load runs: false if every client ran out of transactions first; throws Aborted on a crash or a signal. */
export async function waitUntil(ctx: NetContext, t: number): Promise<boolean> {
  while (now() < t) {
    if (ctx.crashes.length > 0 || ctx.interrupted()) throw new Aborted();
    if (ctx.clients.allExhausted()) return false;
    await sleep(Math.min(200, t - now()));
  }
  return true;
}

/** Idle clients, then wait until every live mempool is empty and every acknowledged tx has been seen (or nothing moves for `quietMs`). */
export async function drain(ctx: NetContext, why: string, quietMs = 8000, maxMs = 180_000): Promise<void> {
  ctx.clients.setMode('idle');
  const mempools = (): Promise<number[]> =>
    Promise.all(
      ctx.vals
        .filter((v) => v.alive)
        .map((v) =>
          ctx
            .getJson<NodeStatus>(`${v.url}/v1/status`, 2000)
            .then((s) => s.mempool?.size ?? -1)
            .catch(() => -1),
        ),
    );
  const t0 = now();
  let lastChange = now();
  let lastCount = ctx.obs.totalCommitted();
  for (;;) {
    await sleep(250);
    const m = await mempools();
    const c = ctx.obs.totalCommitted();
    if (c !== lastCount) {
      lastCount = c;
      lastChange = now();
    }
    if (m.every((x) => x === 0) && ctx.obs.pending.size === 0) break;
    if (m.every((x) => x === 0) && now() - lastChange > 3000) break; // acknowledged but lost (a killed node's mempool)
    if (now() - lastChange > quietMs && now() - t0 > quietMs) {
      log(`[network] drain (${why}): nothing committed for ${quietMs} ms; mempools ${m.join(',')}, ${ctx.obs.pending.size} acknowledged txs unseen`);
      break;
    }
    if (now() - t0 > maxMs) {
      log(`[network] drain (${why}) gave up after ${maxMs} ms`);
      break;
    }
  }
  log(`[network] drained (${why}) in ${((now() - t0) / 1000).toFixed(1)} s; ${ctx.obs.totalCommitted()} committed so far`);
}
