// The bulk load: the resources not created through FHIR, up to a size: RecordsClient.writeBatch (the
// SDK's write_batch transaction, --batch writes each; --batch 1 = RecordsClient.write) by
// --practitioners hospital practitioners in parallel (own keys: no nonce sharing), through node 0's
// API. The same resources as the FHIR creates; no FHIR validation on this path.
import type { RecordsClient } from '@salus/client';
import { errCode, fail, log, messageOf } from '../lib/cli.js';
import { latencyStats, round, type LatencyStats } from '../lib/stats.js';
import type { FhirCtx } from './context.js';
import { resourceAt, type DataResource } from './resources.js';

export interface BulkRun {
  from: number;
  to: number;
  resources: number;
  seconds: number;
  resources_per_s: number;
  per_transaction: number;
  transaction_latency_ms: LatencyStats;
  errors: Record<string, number>;
  node_cpu_cores: number[];
}

/** Loads resources ctx.next … n-1; returns the run (undefined when there is nothing to load). */
export async function bulkTo(ctx: FhirCtx, rcs: readonly RecordsClient[], n: number): Promise<BulkRun | undefined> {
  const { flags, net, pids, loaded } = ctx;
  const now = (): number => performance.now();
  const from = ctx.next;
  if (n <= from) return undefined;
  log(`[fhir] bulk: resources ${from}…${n - 1} by ${rcs.length} practitioners (${flags.batch > 1 ? `RecordsClient.writeBatch, ${flags.batch} per transaction` : 'RecordsClient.write'})…`);
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  const t0 = now();
  let lastLog = t0;
  const cpu0 = net.nodeCpu();
  await Promise.all(
    rcs.map(async (rc) => {
      for (;;) {
        const start = ctx.next;
        if (start >= n) return;
        const end = Math.min(n, start + flags.batch);
        ctx.next = end;
        const items: (DataResource & { i: number })[] = [];
        for (let i = start; i < end; i++) items.push({ i, ...resourceAt(i, pids) });
        const tb = now();
        try {
          if (flags.batch === 1) {
            const it = items[0]!;
            const w = await rc.write(pids[it.p]!, it.resource);
            loaded.push({ i: it.i, record: w.record, type: it.type, p: it.p, code: it.code, via: 'sdk' });
          } else {
            const { writes } = await rc.writeBatch(items.map((it) => ({ patient: pids[it.p]!, resource: it.resource })));
            writes.forEach((w, k) => {
              const it = items[k]!;
              loaded.push({ i: it.i, record: w.record, type: it.type, p: it.p, code: it.code, via: 'sdk' });
            });
          }
          lat.push(now() - tb);
        } catch (e) {
          errors[errCode(e)] = (errors[errCode(e)] ?? 0) + 1;
          if (Object.values(errors).reduce((a, b) => a + b, 0) <= 3) log(`[fhir] bulk write failed: ${errCode(e)} ${messageOf(e)}`);
        }
        if (now() - lastLog > 5000) {
          lastLog = now();
          log(`[fhir] bulk: ${loaded.length} resources (${round((ctx.next - from) / ((now() - t0) / 1000), 0)}/s)`);
        }
      }
    }),
  );
  const s = (now() - t0) / 1000;
  const cpu1 = net.nodeCpu();
  const run: BulkRun = { from, to: n, resources: n - from, seconds: round(s, 1), resources_per_s: round((n - from) / s, 1), per_transaction: flags.batch, transaction_latency_ms: latencyStats(lat), errors, node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]!) / s, 2)) };
  log(`[fhir] bulk: ${run.resources} in ${run.seconds} s (${run.resources_per_s}/s), per transaction p50 ${run.transaction_latency_ms.p50} ms; errors ${JSON.stringify(errors)}`);
  if (Object.keys(errors).length > 0) fail(`bulk load failed: ${JSON.stringify(errors)}`);
  return run;
}
