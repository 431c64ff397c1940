// The measurements at a size: the index catch-up (with a consistency check), reads, the HTTP ceiling
// (metadata), searches by patient and code, and counts by type, all on node 0.
import { fail, log } from '../lib/cli.js';
import { sleep } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { cannon, fhirGet, type CannonRun } from './cannon.js';
import type { FhirCtx } from './context.js';
import { shuffle } from './resources.js';

interface Count {
  ms: number;
  total: unknown;
  status: number;
}
export interface Measure {
  resources_loaded: number;
  by_path: { fhir_create: number; sdk_bulk: number };
  index: { how: string; first: Count; concurrent_second: Count; after_both: Count; observations_loaded: number; consistent: boolean; reads_refused_after_index_ms?: number };
  read: CannonRun;
  read_single: CannonRun;
  metadata?: CannonRun;
  read_to_metadata_ratio?: number;
  search: CannonRun;
  search_single: CannonRun;
  count: { how: string; by_type: Record<string, number>; ms_by_type: Record<string, number>; readable_total: number; observation_count_ms: number };
}

const TYPES = ['Observation', 'Condition', 'Patient', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'Encounter', 'DiagnosticReport', 'DocumentReference'];

export async function measureAt(ctx: FhirCtx, label: string, o: { readS: number; searchS: number; metadataS?: number; metadata: boolean }): Promise<Measure> {
  const { flags, loaded, pids } = ctx;
  const now = (): number => performance.now();
  const n = loaded.length;
  log(`[fhir] measure at ${n} resources (${label})…`);
  const tok = await ctx.token();
  // index catch-up, with a consistency check: the 2nd count starts while the 1st refreshes the index
  const a = fhirGet(ctx, 'Observation?_summary=count', tok);
  await sleep(20);
  const b = fhirGet(ctx, 'Observation?_summary=count', tok);
  const [ra, rb] = await Promise.all([a, b]);
  const rc = await fhirGet(ctx, 'Observation?_summary=count', tok);
  const expected = loaded.filter((x) => x.type === 'Observation').length;
  const index: Measure['index'] = {
    how: 'GET Observation?_summary=count twice, 20 ms apart, right after the load (the first decrypts every new resource into the index), then once more',
    first: { ms: round(ra.ms, 1), total: ra.body.total, status: ra.status },
    concurrent_second: { ms: round(rb.ms, 1), total: rb.body.total, status: rb.status },
    after_both: { ms: round(rc.ms, 1), total: rc.body.total, status: rc.status },
    observations_loaded: expected,
    consistent: ra.body.total === expected && rb.body.total === expected && rc.body.total === expected,
  };
  log(`[fhir]   index: first count ${ra.body.total} in ${ra.ms.toFixed(0)} ms, concurrent second ${rb.body.total} in ${rb.ms.toFixed(0)} ms, then ${rc.body.total} in ${rc.ms.toFixed(0)} ms (loaded ${expected})`);
  const obs = shuffle(
    loaded.filter((x) => x.type === 'Observation'),
    n,
  );
  const readPaths = obs.map((x) => `/fhir/R4/Observation/${x.record}`);
  const pairs = new Map<string, number>();
  for (const x of obs) pairs.set(`${x.p}|${x.code}`, (pairs.get(`${x.p}|${x.code}`) ?? 0) + 1);
  const searchPath = (k: string): string => {
    const [p, code] = k.split('|');
    return `Observation?patient=${pids[Number(p)]}&code=${encodeURIComponent(`http://loinc.org|${code}`)}`;
  };
  const searchPaths = shuffle([...pairs.keys()], 7).map((k) => `/fhir/R4/${searchPath(k)}`);
  const obsPerPatient = obs.length / flags.patients;
  const auth = { authorization: `Bearer ${tok}` };
  // one correctness probe of each before the load runs; a node that fell behind its peers while
  // it indexed refuses reads (503) until it has caught up: that wait is measured, not failed
  const tCurrent = now();
  const firstRead = readPaths[0]!.slice('/fhir/R4/'.length);
  let probeRead = await fhirGet(ctx, firstRead, tok);
  while (probeRead.status === 503 && now() - tCurrent < 120_000) {
    await sleep(250);
    probeRead = await fhirGet(ctx, firstRead, tok);
  }
  index.reads_refused_after_index_ms = round(now() - tCurrent, 0);
  if (probeRead.status !== 200 || probeRead.body.id !== obs[0]!.record) fail(`read probe: HTTP ${probeRead.status} ${JSON.stringify(probeRead.body).slice(0, 300)}`);
  const firstPair = [...pairs.keys()][0]!;
  const probeSearch = await fhirGet(ctx, searchPath(firstPair), tok);
  if (probeSearch.status !== 200 || probeSearch.body.total !== pairs.get(firstPair)) fail(`search probe: HTTP ${probeSearch.status}, total ${probeSearch.body.total}, expected ${pairs.get(firstPair)}`);
  const read = await cannon(ctx, 'read Observation/<id>', o.readS, readPaths, auth);
  read.ids_cycled = readPaths.length;
  const readSingle = await cannon(ctx, 'read, 1 connection', flags.singleS, readPaths, auth, 1);
  let metadata: CannonRun | undefined;
  let readToMetadata: number | undefined;
  if (o.metadata) {
    metadata = await cannon(ctx, 'metadata (HTTP ceiling)', o.metadataS ?? flags.metadataS, ['/fhir/R4/metadata']);
    readToMetadata = round(read.req_per_s / metadata.req_per_s, 3);
  }
  const search = await cannon(ctx, 'search Observation?patient&code', o.searchS, searchPaths, auth);
  search.pairs_cycled = searchPaths.length;
  const searchSingle = await cannon(ctx, 'search, 1 connection', flags.singleS, searchPaths, auth, 1);
  search.observations_per_patient = round(obsPerPatient, 1);
  search.matches_per_search_mean = round(obs.length / pairs.size, 2);
  search.note = 'node 0 decrypts every Observation of the patient (observations_per_patient) to match the code, and discloses the matches';
  // counts: the resources readable by node 0 (its organisation), per type
  const count: Measure['count'] = { how: 'GET /fhir/R4/<type>?_summary=count, one after another (each decrypts every resource of the type)', by_type: {}, ms_by_type: {}, readable_total: 0, observation_count_ms: 0 };
  for (const type of TYPES) {
    const r = await fhirGet(ctx, `${type}?_summary=count`, tok);
    if (r.status !== 200) fail(`count of ${type}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    count.by_type[type] = Number(r.body.total);
    count.ms_by_type[type] = round(r.ms, 1);
  }
  count.readable_total = Object.values(count.by_type).reduce((x, y) => x + y, 0);
  count.observation_count_ms = count.ms_by_type.Observation!;
  log(`[fhir]   count: ${count.readable_total} resources readable by node 0 (${JSON.stringify(count.by_type)}); Observation count ${count.observation_count_ms} ms`);
  const byPath = { fhir_create: loaded.filter((x) => x.via === 'fhir').length, sdk_bulk: loaded.filter((x) => x.via === 'sdk').length };
  return { resources_loaded: n, by_path: byPath, index, read, read_single: readSingle, ...(metadata ? { metadata, read_to_metadata_ratio: readToMetadata } : {}), search, search_single: searchSingle, count };
}
