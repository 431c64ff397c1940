// The FHIR benchmark's figures against their targets.
import type { Figures } from '../lib/results.js';
import type { CreatePhase } from './create.js';
import type { FhirFlags } from './flags.js';
import type { Measure } from './measure.js';

const le = (x: number | null, target: number): boolean => x !== null && x <= target;

export function fhirFigures(flags: FhirFlags, sizes: { small?: Measure; full: Measure }, C: CreatePhase, pendingAtEnd: number): Figures {
  const F = sizes.full;
  const S = sizes.small;
  const fig: Figures = {};
  fig.read_p50 = { figure: `FHIR read GET Observation/<id>, ${flags.connections} connections, ${F.count.readable_total} resources: p50 latency (ms)`, target: `<= ${flags.targetReadP50Ms} ms`, measured: F.read.latency_ms.p50, met: le(F.read.latency_ms.p50, flags.targetReadP50Ms) };
  fig.read_p99 = { figure: 'FHIR read: p99 latency (ms)', target: null, measured: F.read.latency_ms.p99, met: null };
  fig.read_rate = { figure: 'FHIR read: req/s on node 0', target: null, measured: F.read.req_per_s, reference: { metadata_req_per_s: F.metadata?.req_per_s, read_to_metadata: F.read_to_metadata_ratio, metadata_p50_ms: F.metadata?.latency_ms.p50 }, met: null };
  fig.read_single = { figure: 'FHIR read with 1 connection (no queueing): p50 / p99 latency (ms), req/s', target: null, measured: { p50_ms: F.read_single.latency_ms.p50, p99_ms: F.read_single.latency_ms.p99, req_per_s: F.read_single.req_per_s }, met: null };
  fig.node_cpu_per_read = { figure: 'node 0 CPU per FHIR read (ms), 8 connections', target: null, measured: F.read.node0_cpu_ms_per_request, reference: { metadata: F.metadata?.node0_cpu_ms_per_request, search: F.search.node0_cpu_ms_per_request }, met: null };
  fig.search_p50 = { figure: `FHIR search Observation?patient&code (${String(F.search.observations_per_patient)} Observations per patient): p50 latency (ms)`, target: `<= ${flags.targetSearchP50Ms} ms`, measured: F.search.latency_ms.p50, met: le(F.search.latency_ms.p50, flags.targetSearchP50Ms) };
  fig.search_p99 = { figure: 'FHIR search: p99 latency (ms)', target: null, measured: F.search.latency_ms.p99, reference: { req_per_s: F.search.req_per_s }, met: null };
  fig.search_single = { figure: 'FHIR search with 1 connection: p50 / p99 latency (ms), req/s', target: null, measured: { p50_ms: F.search_single.latency_ms.p50, p99_ms: F.search_single.latency_ms.p99, req_per_s: F.search_single.req_per_s }, met: null };
  fig.count_all = { figure: `GET Observation?_summary=count over all ${F.count.by_type.Observation} Observations (ms)`, target: null, measured: F.count.observation_count_ms, met: null };
  fig.resources = { figure: 'resources readable by node 0 at measurement', target: `the issue speaks of ${flags.targetResources} (a size to measure at, not a pass/fail of the product)`, measured: F.count.readable_total, met: null };
  fig.create = { figure: `FHIR create (incl. commit): p50 / p99 latency (ms) and creates/s, ${flags.writers} concurrent clients`, target: null, measured: { p50_ms: C.concurrent.latency_ms.p50, p99_ms: C.concurrent.latency_ms.p99, creates_per_s: C.concurrent.creates_per_s, creates_per_block: C.concurrent.creates_per_block, single_client_p50_ms: C.single_client.latency_ms.p50, single_client_per_s: C.single_client.creates_per_s }, met: null };
  const all = Object.entries(sizes).filter((e): e is [string, Measure] => e[1] !== undefined);
  fig.index_consistent = { figure: 'concurrent searches while the index catches up answer the full count', target: 'equal totals', measured: Object.fromEntries(all.map(([k, v]) => [k, [v.index.first.total, v.index.concurrent_second.total, v.index.after_both.total, v.index.observations_loaded]])), met: all.every(([, v]) => v.index.consistent) };
  fig.reads_logged = { figure: "node 0's disclosure queue drains after the load", target: 'pending 0', measured: pendingAtEnd, met: pendingAtEnd === 0 };
  if (S) {
    fig.scaling = {
      figure: `latency p50 at ${S.count.readable_total} → ${F.count.readable_total} resources`,
      target: null,
      measured: {
        read_p50_ms: [S.read.latency_ms.p50, F.read.latency_ms.p50],
        read_1_connection_p50_ms: [S.read_single.latency_ms.p50, F.read_single.latency_ms.p50],
        search_p50_ms: [S.search.latency_ms.p50, F.search.latency_ms.p50],
        search_1_connection_p50_ms: [S.search_single.latency_ms.p50, F.search_single.latency_ms.p50],
        observations_per_patient: [S.search.observations_per_patient, F.search.observations_per_patient],
        observation_count_ms: [S.count.observation_count_ms, F.count.observation_count_ms],
        index_catch_up_ms: [S.index.first.ms, F.index.first.ms],
      },
      met: null,
    };
  }
  return fig;
}

/** Responses that were not 2xx, or errors, by size and run. */
export function non2xxByRun(sizes: { small?: Measure; full: Measure }): Record<string, number> {
  const runs = ['read', 'read_single', 'metadata', 'search', 'search_single'] as const;
  return Object.fromEntries(
    Object.entries(sizes).flatMap(([size, m]: [string, Measure | undefined]) =>
      m
        ? runs.flatMap((k) => {
            const r = m[k];
            return r ? [[`${size}.${k}`, Object.entries(r.status_codes).reduce((a, [c, x]) => a + (c.startsWith('2') ? 0 : x), 0) + r.errors]] : [];
          })
        : [],
    ),
  );
}
