// HTTP load on node 0's FHIR facade: one GET (fhirGet) and closed loops of GETs by autocannon
// (cannon), with latency per response ('response' event, sub-millisecond; autocannon's own
// histogram has 1 ms resolution and is reported beside it) and node 0's CPU per request.
import autocannon from 'autocannon';
import { log } from '../lib/cli.js';
import { latencyStats, round, type LatencyStats } from '../lib/stats.js';
import type { FhirCtx } from './context.js';

export interface FhirAnswer {
  ms: number;
  status: number;
  body: { id?: string; total?: number } & Record<string, unknown>;
}

/** GET /fhir/R4/<path> on node 0 (with a bearer token when given). */
export async function fhirGet(ctx: FhirCtx, path: string, tok?: string): Promise<FhirAnswer> {
  const t0 = performance.now();
  const res = await fetch(`${ctx.url0}/fhir/R4/${path}`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
  const body = (await res.json().catch(() => ({}))) as FhirAnswer['body'];
  return { ms: performance.now() - t0, status: res.status, body };
}

export interface CannonRun {
  name: string;
  connections: number;
  duration_s: number;
  requests_2xx: number;
  req_per_s: number;
  latency_ms: LatencyStats;
  autocannon_latency_ms: { p50: number; p99: number; mean: number; note: string };
  status_codes: Record<string, number>;
  errors: number;
  timeouts: number;
  node_cpu_cores: number[];
  node0_cpu_ms_per_request?: number | null;
  [extra: string]: unknown;
}

/** `connections` closed loops of GETs of `paths` (in turn) for `durationS` seconds. */
export async function cannon(ctx: FhirCtx, name: string, durationS: number, paths: readonly string[], headers: Record<string, string> = {}, connections = ctx.flags.connections): Promise<CannonRun> {
  let k = 0;
  const lat: number[] = [];
  const cpu0 = ctx.net.nodeCpu();
  const t0 = performance.now();
  const inst = autocannon({
    url: ctx.url0,
    connections,
    duration: durationS,
    headers,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          req.path = paths[k++ % paths.length];
          return req;
        },
      },
    ],
  });
  ctx.running.add(inst);
  inst.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) lat.push(ms);
  });
  const r = await inst;
  ctx.running.delete(inst);
  const s = (performance.now() - t0) / 1000;
  const cpu1 = ctx.net.nodeCpu();
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => [c, v.count]));
  const out: CannonRun = {
    name,
    connections,
    duration_s: r.duration,
    requests_2xx: lat.length,
    req_per_s: round(lat.length / r.duration, 1),
    latency_ms: latencyStats(lat),
    autocannon_latency_ms: { p50: r.latency.p50, p99: r.latency.p99, mean: round(r.latency.average, 2), note: '1 ms resolution, non-2xx included' },
    status_codes: codes,
    errors: r.errors,
    timeouts: r.timeouts,
    node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]!) / s, 2)),
  };
  out.node0_cpu_ms_per_request = lat.length > 0 ? round((out.node_cpu_cores[0]! * s * 1000) / lat.length, 3) : null;
  log(`[fhir]   ${name}: ${out.req_per_s} req/s, p50 ${out.latency_ms.p50} p99 ${out.latency_ms.p99} ms (autocannon ${r.latency.p50}/${r.latency.p99}); codes ${JSON.stringify(codes)}${r.errors ? `, ${r.errors} errors` : ''}; node CPU ${JSON.stringify(out.node_cpu_cores)}`);
  return out;
}
