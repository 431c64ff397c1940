// Closed loops of reads (or of the HTTP ceiling) against one node, run by read-load clients in child
// processes (records/load-client.js): the calls, their latency and errors, the clients' and the
// nodes' CPU over the measured window.
import { fork, type ChildProcess } from 'node:child_process';
import { BenchFailure } from '../lib/cli.js';
import { CHAIN_ID } from '../lib/genesis.js';
import type { FastLocalnet } from '../lib/localnet.js';
import { compiled } from '../lib/paths.js';
import type { Owned } from '../lib/processes.js';
import { latencyStats, round, type LatencyStats } from '../lib/stats.js';
import { WEB_HPKE_ENV, type LoadEvent, type LoopDone, type LoopKind, type ReadItem, type RunCommand } from './ipc.js';
import { countInto, now, rotate, splitEven } from './util.js';

export interface LoopResult {
  kind: LoopKind;
  concurrency: number;
  client_processes: number;
  measured_s: number;
  ops: number;
  ops_per_s: number;
  latency_ms: LatencyStats;
  errors: Record<string, number>;
  ok_total_including_warmup: number;
  served_but_refused_by_client: number;
  client_cpu_cores: number;
  node_cpu_cores: number[] | null;
}

/** Forks a read-load client and waits until it is ready. */
export function startLoadProc(track: Owned['track'], webHpke: boolean): Promise<ChildProcess> {
  const p = track(fork(compiled('records/load-client.js'), [], { env: { ...process.env, ...(webHpke ? { [WEB_HPKE_ENV]: '1' } : {}) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  return new Promise((resolve, reject) => {
    p.once('message', (m: LoadEvent) => (m.ev === 'ready' ? resolve(p) : reject(new BenchFailure('load client: unexpected first message'))));
    p.once('exit', (code) => reject(new BenchFailure(`load client exited (${code}) before it was ready`)));
  });
}

export interface LoopSpec {
  readonly net: FastLocalnet;
  readonly procs: readonly ChildProcess[];
  readonly readNode: number;
  readonly readers: RunCommand['readers'];
  readonly items: readonly ReadItem[];
}

/** One closed loop of `kind` over the load processes: `concurrency` workers in all, `warmS` of warm-up, `durationS` measured. */
export async function runLoop(s: LoopSpec, kind: LoopKind, durationS: number, warmS: number, concurrency: number): Promise<LoopResult> {
  const { net, procs } = s;
  const per = splitEven(concurrency, procs.length).filter((n) => n > 0);
  let start: { t: number; cpu: number[] } | null = null;
  let measuringCount = 0;
  const done = await Promise.all(
    procs.slice(0, per.length).map(
      (p, i) =>
        new Promise<LoopDone>((resolve) => {
          const onMsg = (m: LoadEvent): void => {
            if (m.ev === 'measuring' && ++measuringCount === per.length) start = { t: now(), cpu: net.nodeCpu() };
            if (m.ev === 'done') {
              p.off('message', onMsg);
              resolve(m);
            }
          };
          p.on('message', onMsg);
          const cmd: RunCommand = { cmd: 'run', kind, url: net.url(s.readNode), chainId: CHAIN_ID, aud: net.nodesInit[s.readNode]!.nodeId, readers: s.readers, items: rotate(s.items, i), concurrency: per[i]!, warmupMs: warmS * 1000, durationMs: durationS * 1000 };
          p.send(cmd);
        }),
    ),
  );
  const tEnd = now();
  const cpuEnd = net.nodeCpu();
  const lat = done.flatMap((d) => d.lat);
  const errors: Record<string, number> = {};
  for (const d of done) for (const [c, n] of Object.entries(d.errors)) countInto(errors, c, n);
  const mark = start as { t: number; cpu: number[] } | null;
  const wallS = mark ? (tEnd - mark.t) / 1000 : durationS;
  return {
    kind,
    concurrency,
    client_processes: per.length,
    measured_s: durationS,
    ops: lat.length,
    ops_per_s: round(lat.length / durationS, 1),
    latency_ms: latencyStats(lat),
    errors,
    ok_total_including_warmup: done.reduce((a, d) => a + d.okTotal, 0),
    served_but_refused_by_client: done.reduce((a, d) => a + d.servedButFailed, 0),
    client_cpu_cores: round(done.reduce((a, d) => a + d.cpuMs, 0) / 1000 / wallS, 2),
    node_cpu_cores: mark ? cpuEnd.map((c, i) => round((c - mark.cpu[i]!) / wallS, 2)) : null,
  };
}
