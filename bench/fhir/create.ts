// FHIR creates: POST /fhir/R4/Observation (every 10th resource a Condition) with the token, body a
// valid R4 resource (~650 B JSON) naming Patient/<pat-…>. One warm-up create first (the node loads
// the HL7 StructureDefinitions on its first write), then --fhir-creates creates: a tenth by 1 client
// (no queueing), the rest by --writers concurrent clients in closed loops. Latency: request start →
// 201 (validation, the node's serial write queue, encrypt, blob PUTs, the write transaction with
// wait=commit, then the node reads the version back for the representation).
import { errCode, log, messageOf } from '../lib/cli.js';
import { latencyStats, round, type LatencyStats } from '../lib/stats.js';
import type { FhirCtx } from './context.js';
import { resourceAt } from './resources.js';

export interface CreatePhase {
  how: string;
  warm_up_create_ms: number;
  single_client: { creates: number; latency_ms: LatencyStats; creates_per_s: number; creates_per_block: number };
  concurrent: { clients: number; creates: number; latency_ms: LatencyStats; creates_per_s: number; distinct_commit_heights: number; creates_per_block: number; errors: Record<string, number> };
  node_cpu_cores: number[];
  serialised: string;
  projected_s_to_load_all_via_fhir: number;
}

/** A failed create (HTTP status or a bad answer). */
class CreateError extends Error {
  override readonly name = 'CreateError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Created {
  ms: number;
  height: number | undefined;
  t1: number;
}

interface CreatedBody {
  id?: string;
  meta?: { extension?: { extension?: { url: string; valueUnsignedInt?: number }[] }[] };
}

export async function createPhase(ctx: FhirCtx): Promise<CreatePhase> {
  const { flags, net } = ctx;
  const now = (): number => performance.now();
  const create = async (i: number): Promise<Created> => {
    const r = resourceAt(i, ctx.pids);
    const t0 = now();
    const res = await fetch(`${ctx.url0}/fhir/R4/${r.type}`, { method: 'POST', headers: { authorization: `Bearer ${await ctx.token()}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(r.resource) });
    const body = (await res.json().catch(() => ({}))) as CreatedBody;
    const ms = now() - t0;
    if (res.status !== 201) throw new CreateError(`create ${i}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`, `HTTP_${res.status}`);
    const record = /\/fhir\/R4\/\w+\/(rec-[0-9a-f]{32})\/_history\//.exec(res.headers.get('location') ?? '')?.[1];
    if (!record || body.id !== record) throw new CreateError(`create ${i}: Location ${res.headers.get('location')} and id ${body.id} disagree`, 'BAD_ANSWER');
    const height = body.meta?.extension?.[0]?.extension?.find((e) => e.url === 'height')?.valueUnsignedInt;
    ctx.loaded.push({ i, record, type: r.type, p: r.p, code: r.code, via: 'fhir' });
    return { ms, height, t1: now() };
  };
  log('[fhir] create: warm-up create (the node loads the HL7 StructureDefinitions on its first write)…');
  const cpu0 = net.nodeCpu();
  const warm = await create(ctx.next++);
  const single: Created[] = [];
  const nSingle = Math.max(1, Math.floor(flags.fhirCreates / 10));
  log(`[fhir] create: warm-up ${warm.ms.toFixed(0)} ms; ${nSingle} creates by 1 client, then ${flags.fhirCreates - nSingle} by ${flags.writers} concurrent clients…`);
  const tS0 = now();
  for (let k = 0; k < nSingle; k++) single.push(await create(ctx.next++));
  const tS1 = now();
  const conc: Created[] = [];
  const errors: Record<string, number> = {};
  const target = ctx.next + (flags.fhirCreates - nSingle);
  const tC0 = now();
  await Promise.all(
    Array.from({ length: flags.writers }, async () => {
      while (ctx.next < target) {
        const i = ctx.next++;
        try {
          conc.push(await create(i));
        } catch (e) {
          errors[errCode(e)] = (errors[errCode(e)] ?? 0) + 1;
          if (Object.values(errors).reduce((a, b) => a + b, 0) <= 3) log(`[fhir] create failed: ${messageOf(e)}`);
        }
      }
    }),
  );
  const tC1 = now();
  const cpu1 = net.nodeCpu();
  const heights = (xs: readonly Created[]): number => new Set(xs.map((x) => x.height)).size;
  const createRate = conc.length / ((tC1 - tC0) / 1000);
  const remaining = flags.resources - ctx.loaded.length;
  const C: CreatePhase = {
    how: `POST /fhir/R4/<type> (Observation, every 10th a Condition) with a system/*.cruds bearer token, Prefer unset (the representation is returned); latency = request start → 201`,
    warm_up_create_ms: round(warm.ms, 1),
    single_client: { creates: single.length, latency_ms: latencyStats(single.map((x) => x.ms)), creates_per_s: round(single.length / ((tS1 - tS0) / 1000), 2), creates_per_block: round(single.length / heights(single), 2) },
    concurrent: { clients: flags.writers, creates: conc.length, latency_ms: latencyStats(conc.map((x) => x.ms)), creates_per_s: round(createRate, 2), distinct_commit_heights: heights(conc), creates_per_block: round(conc.length / Math.max(1, heights(conc)), 2), errors },
    node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]!) / ((tC1 - tS0) / 1000), 2)),
    serialised: 'the node runs FHIR writes one at a time (FhirWriter.serial: they share the organisation key and its nonce); each waits for its commit, so creates_per_block stays about 1 and more clients only queue',
    projected_s_to_load_all_via_fhir: round(remaining / createRate, 0),
  };
  log(`[fhir] create: 1 client p50 ${C.single_client.latency_ms.p50} ms (${C.single_client.creates_per_s}/s); ${flags.writers} clients p50 ${C.concurrent.latency_ms.p50} p99 ${C.concurrent.latency_ms.p99} ms, ${C.concurrent.creates_per_s}/s, ${C.concurrent.creates_per_block} creates/block; loading the other ${remaining} that way would take ~${C.projected_s_to_load_all_via_fhir} s: bulk path for them`);
  return C;
}
