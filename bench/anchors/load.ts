// The load: pre-encoded requests of items posted to the anchoring nodes, a closed loop of
// `concurrency` requests per node; and the wait for every batch the receipts named to be on the ledger.
import { performance } from 'node:perf_hooks';
import { fail, log } from '../lib/cli.js';
import { sleep } from '../lib/processes.js';
import type { GetJson } from '../lib/http.js';

export interface Posted {
  readonly node: number;
  readonly t0: number;
  readonly t1: number;
  readonly items: number;
  readonly anchorer: string;
  readonly batch: number;
  readonly deadline: number;
}

export interface LoadRun {
  readonly posts: Posted[];
  /** wall clock (ms since epoch) when the first request left */
  readonly startEpochMs: number;
  readonly startPerf: number;
  /** refusals retried, by code */
  readonly retried: Record<string, number>;
}

/** Posts every body once (retrying a refusal of load: 429, 503), `concurrency` at a time per node; body i goes to node i mod n. */
export async function postAll(urls: readonly string[], bodies: readonly Uint8Array[], itemsOf: (i: number) => number, concurrency: number): Promise<LoadRun> {
  const posts: Posted[] = [];
  const retried: Record<string, number> = {};
  const queues = urls.map((_, n) => bodies.map((_b, i) => i).filter((i) => i % urls.length === n));
  const startEpochMs = Date.now();
  const startPerf = performance.now();
  const worker = async (n: number): Promise<void> => {
    for (let i = queues[n]!.shift(); i !== undefined; i = queues[n]!.shift()) {
      for (;;) {
        const t0 = performance.now();
        const res = await fetch(`${urls[n]}/v1/anchors/items`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: bodies[i]! });
        const j = (await res.json()) as { anchorer?: string; batch?: number; deadline?: number; error?: { code: string; message: string } };
        const t1 = performance.now();
        if (res.status === 202) {
          posts.push({ node: n, t0, t1, items: itemsOf(i), anchorer: j.anchorer!, batch: j.batch!, deadline: j.deadline! });
          break;
        }
        const code = j.error?.code ?? `HTTP_${res.status}`;
        if (res.status !== 429 && res.status !== 503) fail(`node ${n} refused request ${i}: ${code} ${j.error?.message ?? ''}`);
        retried[code] = (retried[code] ?? 0) + 1;
        await sleep(50);
      }
    }
  };
  await Promise.all(urls.flatMap((_, n) => Array.from({ length: concurrency }, () => worker(n))));
  return { posts, startEpochMs, startPerf, retried };
}

export interface Anchored {
  readonly anchorer: string;
  readonly batch: number;
  readonly count: number;
  readonly height: number;
  readonly deadline: number;
  /** block time of the block that anchored it (ms since epoch) */
  readonly time: number;
}

/** Polls the ledger (through `url`) until every (anchorer, batch) the receipts named is anchored; fails after `timeoutMs`. */
export async function waitAnchored(getJson: GetJson, url: string, batches: readonly { anchorer: string; batch: number }[], timeoutMs: number): Promise<Anchored[]> {
  const done = new Map<string, Anchored>();
  const end = performance.now() + timeoutMs;
  while (done.size < batches.length) {
    if (performance.now() > end) fail(`only ${done.size} of ${batches.length} batches anchored after ${timeoutMs / 1000} s`);
    for (const b of batches) {
      const id = `${b.anchorer}/${b.batch}`;
      if (done.has(id)) continue;
      const r = await getJson<{ decoded: { count: number; height: number; time: number; deadline: number } | null }>(`${url}/v1/anchors/batches/${b.anchorer}/${b.batch}`, 5000);
      if (r.decoded) done.set(id, { ...b, ...r.decoded });
    }
    if (done.size < batches.length) await sleep(200);
  }
  log(`[anchors] all ${batches.length} batches anchored`);
  return [...done.values()];
}
