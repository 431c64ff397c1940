#!/usr/bin/env node
// The FHIR benchmark: the FHIR R4 facade (/fhir/R4, ADR 0006) of node 0 of a 4-validator localnet of
// real processes (`salus start --home` on homes made by initLocalnet; Tendermint BFT over mutual-TLS
// loopback links). Node 0 holds hospital-1's key (records.custodianKeyFile) and answers as
// hospital-1. Consensus runs with FAST timeouts (those of packages/node/test/net-harness.ts, as
// bench/records.mjs: propose 800 ms, prevote/precommit 300 ms, commitDelay 20 ms, emptyBlockWait
// 300 ms), so write latencies are those of a fast-configured localnet, not of the defaults. The
// nodes' per-client FHIR rate limit (fhir.requestsPerSecond, default 200) is set to --client-rps
// (default 1e6): the benchmark is one client, which the limit would answer with 429s.
//
//   npm run bench:fhir                                   full (about 2 min on 2 cores)
//   node bench/fhir.mjs --quick                          scaled down (about 35 s)
//   node bench/fhir.mjs --patients 100 --resources 20000 --writers 8 --read-s 20
//   node bench/fhir.mjs --small-n 0                      measure at the full size only
//   node bench/fhir.mjs --cpu-prof-node 0 ...            writes a V8 CPU profile of node 0 to bench/out/prof-fhir/
//                                                         (summarise it with bench/cpuprofile-summary.mjs)
//
// Parties: hospital-1's admin (<home>/keys/hospital-1-admin.json) adds a `service` member (the FHIR
// client, "EHR integration") and --practitioners practitioners. --patients patients register with their
// own wallets through nodes p mod 4 and grant hospital-1 read+write on all their records (as
// packages/node/src/demo/seed.ts does). The FHIR client's token comes the SMART Backend Services way
// (fhirToken of packages/node/dist/cli/fhir.js: private_key_jwt signed by the service key), scope
// system/*.cruds.
//
// Phases (every HTTP request goes to node 0):
//  create   FHIR creates: POST /fhir/R4/Observation (every 10th resource a Condition) with the token, body
//           a valid R4 resource (~650 B JSON) naming Patient/<pat-…>. One warm-up create first (the node
//           loads the HL7 StructureDefinitions on its first write), then --fhir-creates creates: a tenth
//           by 1 client (no queueing), the rest by --writers concurrent clients in closed loops.
//           Latency: request start → 201 (validation, the node's serial write queue, encrypt, blob PUTs,
//           the write transaction with wait=commit, then the node reads the version back for the
//           representation). The node serialises FHIR writes (one organisation key, one nonce):
//           creates_per_block shows it.
//  bulk     the rest of --resources, to reach the sizes measured: RecordsClient.writeBatch (the SDK's
//           write_batch transaction, --batch writes each; --batch 1 = RecordsClient.write) by
//           --practitioners hospital-1 practitioners in parallel (own keys: no nonce sharing), through
//           node 0's API. The same resources as the FHIR creates; no FHIR validation on this path.
//  measure  at --small-n resources (when > 0 and < --resources) and again at --resources:
//           index: the first searches after a load make node 0 decrypt every new resource into its
//             in-memory index (FhirResources.refresh); two concurrent `_summary=count` searches are
//             fired 20 ms apart and a third after both: their totals must be equal.
//           read: autocannon (in this process), --connections connections for --read-s s, GET
//             /fhir/R4/Observation/<id> with Authorization: Bearer, ids cycling (setupRequest) over
//             every Observation loaded; latency per response (the 'response' event, sub-millisecond;
//             autocannon's own histogram has 1 ms resolution and is reported beside it); req/s.
//             Every read is a disclosure on the ledger (node 0 batches them into records/disclose
//             transactions). Then --single-s s with 1 connection: the latency without queueing.
//           metadata: the same autocannon run against GET /fhir/R4/metadata (no token): the HTTP
//             ceiling of the same node, stack and client.
//           search: autocannon, GET /fhir/R4/Observation?patient=<pid>&code=http://loinc.org|<code>
//             cycling over the (patient, code) pairs loaded; each returns about a tenth of the patient's
//             Observations (10 LOINC codes), and every Observation of the patient is decrypted to be matched;
//             then --single-s s with 1 connection.
//           count: GET /fhir/R4/<type>?_summary=count for each clinical type (decrypts all of them):
//             the number of resources readable by node 0, and the time of the Observation count.
//  drain    node 0's disclosure queue is waited out (the patients' accounting endpoint reports it).
// Prints one JSON object on stdout (progress on stderr) and writes bench/out/fhir.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errCode = (e) => e?.code ?? e?.name ?? String(e);

// LOINC vital signs and labs: [code, display, UCUM unit, low, high]
const LOINC = [
  ['8867-4', 'Heart rate', '/min', 55, 110],
  ['29463-7', 'Body weight', 'kg', 45, 120],
  ['8302-2', 'Body height', 'cm', 150, 200],
  ['8310-5', 'Body temperature', 'Cel', 36, 39],
  ['9279-1', 'Respiratory rate', '/min', 10, 24],
  ['2708-6', 'Oxygen saturation in Arterial blood', '%', 90, 100],
  ['8480-6', 'Systolic blood pressure', 'mm[Hg]', 100, 160],
  ['8462-4', 'Diastolic blood pressure', 'mm[Hg]', 60, 100],
  ['2339-0', 'Glucose [Mass/volume] in Blood', 'mg/dL', 70, 180],
  ['39156-5', 'Body mass index (BMI) [Ratio]', 'kg/m2', 18, 35],
];
const SNOMED = [
  ['38341003', 'Hypertensive disorder'],
  ['44054006', 'Diabetes mellitus type 2'],
  ['195967001', 'Asthma'],
  ['13645005', 'Chronic obstructive lung disease'],
];

/**
 * Resource i of the data set: patient i mod P, slot ⌊i / P⌋ of that patient; slots 4, 14, 24, … a
 * Condition, the others Observations whose LOINC code cycles with the slot (offset by patient).
 */
function resourceAt(i, pids) {
  const p = i % pids.length;
  const slot = Math.floor(i / pids.length);
  const at = new Date(Date.UTC(2024, 0, 1) + i * 37_000).toISOString();
  const subject = { reference: `Patient/${pids[p]}` };
  if (slot % 10 === 4) {
    const [code, display] = SNOMED[(slot + p) % SNOMED.length];
    return {
      p,
      type: 'Condition',
      code: null,
      resource: {
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
        code: { coding: [{ system: 'http://snomed.info/sct', code, display }], text: display },
        subject,
        onsetDateTime: at,
        recordedDate: at,
        note: [{ text: `bench resource ${i}` }],
      },
    };
  }
  const [code, display, unit, lo, hi] = LOINC[(slot + p) % LOINC.length];
  return {
    p,
    type: 'Observation',
    code,
    resource: {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: code === '2339-0' ? 'laboratory' : 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
      subject,
      effectiveDateTime: at,
      issued: at,
      performer: [{ display: 'Ward 7 nursing' }],
      valueQuantity: { value: Math.round((lo + ((i * 7919) % 1000) / 1000 * (hi - lo)) * 10) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
      note: [{ text: `bench resource ${i}` }],
    },
  };
}

function shuffle(arr, seed = 1) {
  const a = [...arr];
  let x = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

await main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(2); // the exit handler of ownedProcessesAndDir cleans up
});

async function main() {
  const lib = await import('./lib.mjs');
  const { BENCH_DIR, CHAIN_ID, createNativeEd25519, emit, fail, figureSummary, latencyStats, localnetResult, log, parseQuickFlags, round, setFiguresAndLoad, startFastLocalnet, startLocalnetBench, stopFastLocalnet, waitForHeight, writeResultFile } = lib;
  const { fhirToken } = await import('../packages/node/dist/cli/fhir.js');
  const { createNativeKeyWrap } = await import('../packages/node/dist/crypto/native-hpke.js');
  const { RecordsClient, SalusClient, Wallet } = await import('../packages/client/dist/index.js');
  const { toHex } = await import('../packages/core/dist/index.js');
  const autocannon = (await import('autocannon')).default;

  const flags = parseQuickFlags(
    {
      patients: 50,
      resources: 3000,
      // the first measurement, at a smaller size (0: none)
      smallN: 300,
      fhirCreates: 60,
      writers: 4,
      practitioners: 4,
      batch: 50,
      connections: 8,
      readS: 10,
      searchS: 10,
      metadataS: 5,
      smallS: 4,
      singleS: 2,
      cpuProfNode: -1,
      cpuProfDir: join(BENCH_DIR, 'out', 'prof-fhir'),
      patientConcurrency: 25,
      // the node's per-client FHIR rate limit (fhir.requestsPerSecond, default 200): raised so that it does not cap one benchmark client
      clientRps: 1_000_000,
      logLevel: 'warn',
      targetReadP50Ms: 5,
      targetSearchP50Ms: 20,
      targetResources: 100_000,
      out: join(BENCH_DIR, 'out'),
      keep: false,
    },
    // --quick
    { resources: 300, smallN: 0, fhirCreates: 30, readS: 4, searchS: 4, metadataS: 3 },
  );
  if (flags.patients < 1 || flags.writers < 1 || flags.practitioners < 1 || flags.connections < 1) fail('--patients, --writers, --practitioners and --connections must be at least 1');
  if (flags.batch < 1 || flags.batch > 100) fail('--batch must be 1 to 100 (write_batch takes at most 100 writes)');
  if (flags.fhirCreates < 2) fail('--fhir-creates must be at least 2');
  if (flags.resources < flags.fhirCreates + 1) fail('--resources must exceed --fhir-creates (+1 warm-up create)');
  mkdirSync(flags.out, { recursive: true });

  // ---------------------------------------------------------------------------------------------
  // cleanup of everything started here, also on failure (fail: the exit handler cleans up) and on a signal
  const running = new Set(); // autocannon instances
  const onSignal = () => {
    for (const a of running) a.stop();
  };
  const { dir, track, cleanup, meter, mach } = startLocalnetBench({ prefix: 'salus-bench-fhir-', keep: flags.keep, tag: 'fhir', onSignal });

  // ---------------------------------------------------------------------------------------------
  // 1. the network
  const net = await startFastLocalnet({ dir, track, tag: 'fhir', logLevel: flags.logLevel, config: { fhir: { requestsPerSecond: flags.clientRps } }, cpuProfNode: flags.cpuProfNode, cpuProfDir: flags.cpuProfDir });
  const { nodesInit, orgs, crashes, url, getJson, nodeCpu } = net;
  const hospital = orgs[0];
  const URL0 = url(0);
  log(`[fhir] 4 validators committing; node 0 serves FHIR as ${hospital}`);

  // ---------------------------------------------------------------------------------------------
  // 2. parties
  const ed = createNativeEd25519();
  const kw = createNativeKeyWrap();
  const clients = [0, 1, 2, 3].map((i) => new SalusClient({ url: url(i), ed }));
  const admin = Wallet.import(JSON.parse(readFileSync(join(nodesInit[0].home, 'keys', `${hospital}-admin.json`), 'utf8')), ed, kw);
  const memberPayload = (w, role, name) => ({ org: hospital, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role, name });
  const service = Wallet.create(ed, kw);
  const serviceKeyFile = join(dir, 'ehr-integration.json');
  writeFileSync(serviceKeyFile, JSON.stringify(service.export()), { mode: 0o600 });
  const practitioners = Array.from({ length: flags.practitioners }, () => Wallet.create(ed, kw));
  const tSetup = now();
  await clients[0].send(admin, 'identity', 'add_member', memberPayload(service, 'service', 'EHR integration'));
  for (const [k, w] of practitioners.entries()) await clients[0].send(admin, 'identity', 'add_member', memberPayload(w, 'practitioner', `Dr Bulk ${k}`));
  const membersS = (now() - tSetup) / 1000;
  log(`[fhir] ${hospital}: a service member and ${practitioners.length} practitioners added (${membersS.toFixed(1)} s)`);

  const patientWallets = Array.from({ length: flags.patients }, () => Wallet.create(ed, kw));
  const tPat = now();
  {
    let next = 0;
    const worker = async () => {
      while (next < patientWallets.length) {
        const p = next++;
        const c = new RecordsClient(clients[p % 4], patientWallets[p]);
        await c.registerPatient();
        await c.grant({ id: 'hospital-care', grantee: { org: hospital }, scope: 'all', actions: ['read', 'write'], purposes: ['treatment', 'operations'] });
      }
    };
    await Promise.all(Array.from({ length: Math.min(flags.patientConcurrency, flags.patients) }, worker));
  }
  const pids = patientWallets.map((w) => w.patientId);
  const patientsS = (now() - tPat) / 1000;
  log(`[fhir] ${flags.patients} patients registered and granted ${hospital} read+write (${patientsS.toFixed(1)} s)`);
  // every node has committed the grants before node 0 is asked to write
  const hGrants = (await getJson(`${URL0}/v1/status`)).height;
  await waitForHeight(getJson, [URL0], hGrants);

  const result = localnetResult({
    bench: 'fhir',
    description: `the FHIR R4 facade of node 0 (answering as ${hospital}) of 4 validator processes on loopback (Tendermint BFT, FAST timeouts): FHIR creates, then reads, searches and counts with autocannon`,
    mach,
    flags,
    orgs,
    setupHead: { fhir_node: 0, fhir_org: hospital },
    setup: {
      fhir_rate_limit: `fhir.requestsPerSecond = ${flags.clientRps} per client key in every node's config (the default, 200, would throttle the one benchmark client with 429s)`,
      signing: 'native Ed25519 (createNativeEd25519) and native HPKE (createNativeKeyWrap) in wallets and nodes',
      token: 'SMART Backend Services: fhirToken (packages/node/dist/cli/fhir.js) with a service member key of hospital-1, scope system/*.cruds',
      load_client: 'autocannon 9 (programmatic, in the bench process, which shares the 2 cores with the 4 validators)',
      resource_json_bytes: { Observation: Buffer.byteLength(JSON.stringify(resourceAt(0, pids).resource)), Condition: Buffer.byteLength(JSON.stringify(resourceAt(4 * flags.patients, pids).resource)) },
      patients: flags.patients,
      practitioners: flags.practitioners,
      setup_s: { members: round(membersS, 1), patients_register_and_grant: round(patientsS, 1) },
    },
  });

  // ---------------------------------------------------------------------------------------------
  // what was loaded: per resource index, its record; the Observations and (patient, code) pairs
  const loaded = []; // { i, record, type, p, code, via }
  let nextIndex = 0;
  const tokens = { at: -Infinity, token: '' };
  const token = async () => {
    // a token lives 300 s: take a fresh one for each phase after 120 s
    if (now() - tokens.at > 120_000) {
      tokens.token = (await fhirToken(URL0, serviceKeyFile, 'system/*.cruds')).access_token;
      tokens.at = now();
    }
    return tokens.token;
  };

  // ---------------------------------------------------------------------------------------------
  // 3. FHIR creates
  {
    const create = async (i) => {
      const r = resourceAt(i, pids);
      const t0 = now();
      const res = await fetch(`${URL0}/fhir/R4/${r.type}`, { method: 'POST', headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(r.resource) });
      const body = await res.json().catch(() => ({}));
      const ms = now() - t0;
      if (res.status !== 201) throw Object.assign(new Error(`create ${i}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`), { code: `HTTP_${res.status}` });
      const record = /\/fhir\/R4\/\w+\/(rec-[0-9a-f]{32})\/_history\//.exec(res.headers.get('location') ?? '')?.[1];
      if (!record || body.id !== record) throw Object.assign(new Error(`create ${i}: Location ${res.headers.get('location')} and id ${body.id} disagree`), { code: 'BAD_ANSWER' });
      const height = body.meta?.extension?.[0]?.extension?.find((e) => e.url === 'height')?.valueUnsignedInt;
      loaded.push({ i, record, type: r.type, p: r.p, code: r.code, via: 'fhir' });
      return { ms, height, t1: now() };
    };
    log('[fhir] create: warm-up create (the node loads the HL7 StructureDefinitions on its first write)…');
    const cpu0 = nodeCpu();
    const warm = await create(nextIndex++);
    const single = [];
    const nSingle = Math.max(1, Math.floor(flags.fhirCreates / 10));
    log(`[fhir] create: warm-up ${warm.ms.toFixed(0)} ms; ${nSingle} creates by 1 client, then ${flags.fhirCreates - nSingle} by ${flags.writers} concurrent clients…`);
    const tS0 = now();
    for (let k = 0; k < nSingle; k++) single.push(await create(nextIndex++));
    const tS1 = now();
    const conc = [];
    const errors = {};
    const target = nextIndex + (flags.fhirCreates - nSingle);
    const tC0 = now();
    await Promise.all(
      Array.from({ length: flags.writers }, async () => {
        while (nextIndex < target) {
          const i = nextIndex++;
          try {
            conc.push(await create(i));
          } catch (e) {
            errors[errCode(e)] = (errors[errCode(e)] ?? 0) + 1;
            if (Object.values(errors).reduce((a, b) => a + b, 0) <= 3) log(`[fhir] create failed: ${e.message}`);
          }
        }
      }),
    );
    const tC1 = now();
    const cpu1 = nodeCpu();
    const heights = (xs) => new Set(xs.map((x) => x.height)).size;
    const createRate = conc.length / ((tC1 - tC0) / 1000);
    const remaining = flags.resources - loaded.length;
    result.phases.create = {
      how: `POST /fhir/R4/<type> (Observation, every 10th a Condition) with a system/*.cruds bearer token, Prefer unset (the representation is returned); latency = request start → 201`,
      warm_up_create_ms: round(warm.ms, 1),
      single_client: { creates: single.length, latency_ms: latencyStats(single.map((x) => x.ms)), creates_per_s: round(single.length / ((tS1 - tS0) / 1000), 2), creates_per_block: round(single.length / heights(single), 2) },
      concurrent: { clients: flags.writers, creates: conc.length, latency_ms: latencyStats(conc.map((x) => x.ms)), creates_per_s: round(createRate, 2), distinct_commit_heights: heights(conc), creates_per_block: round(conc.length / Math.max(1, heights(conc)), 2), errors },
      node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]) / ((tC1 - tS0) / 1000), 2)),
      serialised: 'the node runs FHIR writes one at a time (FhirWriter.serial: they share the organisation key and its nonce); each waits for its commit, so creates_per_block stays about 1 and more clients only queue',
      projected_s_to_load_all_via_fhir: round(remaining / createRate, 0),
    };
    const C = result.phases.create;
    log(`[fhir] create: 1 client p50 ${C.single_client.latency_ms.p50} ms (${C.single_client.creates_per_s}/s); ${flags.writers} clients p50 ${C.concurrent.latency_ms.p50} p99 ${C.concurrent.latency_ms.p99} ms, ${C.concurrent.creates_per_s}/s, ${C.concurrent.creates_per_block} creates/block; loading the other ${remaining} that way would take ~${C.projected_s_to_load_all_via_fhir} s: bulk path for them`);
  }

  // ---------------------------------------------------------------------------------------------
  // 4. bulk load through the SDK by hospital practitioners
  const bulkRuns = [];
  const rcs = practitioners.map((w) => new RecordsClient(clients[0], w, { orgWallet: admin }));
  const bulkTo = async (n) => {
    const from = nextIndex;
    if (n <= from) return;
    log(`[fhir] bulk: resources ${from}…${n - 1} by ${rcs.length} practitioners (${flags.batch > 1 ? `RecordsClient.writeBatch, ${flags.batch} per transaction` : 'RecordsClient.write'})…`);
    const lat = [];
    const errors = {};
    const t0 = now();
    let lastLog = t0;
    const cpu0 = nodeCpu();
    await Promise.all(
      rcs.map(async (rc) => {
        for (;;) {
          const start = nextIndex;
          if (start >= n) return;
          const end = Math.min(n, start + flags.batch);
          nextIndex = end;
          const items = [];
          for (let i = start; i < end; i++) items.push({ i, ...resourceAt(i, pids) });
          const tb = now();
          try {
            if (flags.batch === 1) {
              const w = await rc.write(pids[items[0].p], items[0].resource);
              loaded.push({ i: items[0].i, record: w.record, type: items[0].type, p: items[0].p, code: items[0].code, via: 'sdk' });
            } else {
              const { writes } = await rc.writeBatch(items.map((it) => ({ patient: pids[it.p], resource: it.resource })));
              writes.forEach((w, k) => loaded.push({ i: items[k].i, record: w.record, type: items[k].type, p: items[k].p, code: items[k].code, via: 'sdk' }));
            }
            lat.push(now() - tb);
          } catch (e) {
            errors[errCode(e)] = (errors[errCode(e)] ?? 0) + 1;
            if (Object.values(errors).reduce((a, b) => a + b, 0) <= 3) log(`[fhir] bulk write failed: ${errCode(e)} ${e.message}`);
          }
          if (now() - lastLog > 5000) {
            lastLog = now();
            log(`[fhir] bulk: ${loaded.length} resources (${round((nextIndex - from) / ((now() - t0) / 1000), 0)}/s)`);
          }
        }
      }),
    );
    const s = (now() - t0) / 1000;
    const cpu1 = nodeCpu();
    const run = { from, to: n, resources: n - from, seconds: round(s, 1), resources_per_s: round((n - from) / s, 1), per_transaction: flags.batch, transaction_latency_ms: latencyStats(lat), errors, node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]) / s, 2)) };
    bulkRuns.push(run);
    log(`[fhir] bulk: ${run.resources} in ${run.seconds} s (${run.resources_per_s}/s), per transaction p50 ${run.transaction_latency_ms.p50} ms; errors ${JSON.stringify(errors)}`);
    if (Object.keys(errors).length > 0) fail(`bulk load failed: ${JSON.stringify(errors)}`);
  };

  // ---------------------------------------------------------------------------------------------
  // 5. measurements at a size
  const fhirGet = async (path, tok) => {
    const t0 = now();
    const res = await fetch(`${URL0}/fhir/R4/${path}`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
    const body = await res.json().catch(() => ({}));
    return { ms: now() - t0, status: res.status, body };
  };
  const cannon = async (name, durationS, paths, headers = {}, connections = flags.connections) => {
    let k = 0;
    const lat = [];
    const cpu0 = nodeCpu();
    const t0 = now();
    const inst = autocannon({
      url: URL0,
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
    running.add(inst);
    inst.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) lat.push(ms);
    });
    const r = await inst;
    running.delete(inst);
    const s = (now() - t0) / 1000;
    const cpu1 = nodeCpu();
    const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => [c, v.count]));
    const out = {
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
      node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]) / s, 2)),
    };
    out.node0_cpu_ms_per_request = lat.length > 0 ? round((out.node_cpu_cores[0] * s * 1000) / lat.length, 3) : null;
    log(`[fhir]   ${name}: ${out.req_per_s} req/s, p50 ${out.latency_ms.p50} p99 ${out.latency_ms.p99} ms (autocannon ${r.latency.p50}/${r.latency.p99}); codes ${JSON.stringify(codes)}${r.errors ? `, ${r.errors} errors` : ''}; node CPU ${JSON.stringify(out.node_cpu_cores)}`);
    return out;
  };

  const measureAt = async (label, o) => {
    const n = loaded.length;
    log(`[fhir] measure at ${n} resources (${label})…`);
    const tok = await token();
    const m = { resources_loaded: n, by_path: { fhir_create: loaded.filter((x) => x.via === 'fhir').length, sdk_bulk: loaded.filter((x) => x.via === 'sdk').length } };
    // index catch-up, with a consistency check: the 2nd count starts while the 1st refreshes the index
    {
      const a = fhirGet('Observation?_summary=count', tok);
      await sleep(20);
      const b = fhirGet('Observation?_summary=count', tok);
      const [ra, rb] = await Promise.all([a, b]);
      const rc = await fhirGet('Observation?_summary=count', tok);
      const expected = loaded.filter((x) => x.type === 'Observation').length;
      m.index = {
        how: 'GET Observation?_summary=count twice, 20 ms apart, right after the load (the first decrypts every new resource into the index), then once more',
        first: { ms: round(ra.ms, 1), total: ra.body.total, status: ra.status },
        concurrent_second: { ms: round(rb.ms, 1), total: rb.body.total, status: rb.status },
        after_both: { ms: round(rc.ms, 1), total: rc.body.total, status: rc.status },
        observations_loaded: expected,
        consistent: ra.body.total === expected && rb.body.total === expected && rc.body.total === expected,
      };
      log(`[fhir]   index: first count ${ra.body.total} in ${ra.ms.toFixed(0)} ms, concurrent second ${rb.body.total} in ${rb.ms.toFixed(0)} ms, then ${rc.body.total} in ${rc.ms.toFixed(0)} ms (loaded ${expected})`);
    }
    const obs = shuffle(loaded.filter((x) => x.type === 'Observation'), n);
    const readPaths = obs.map((x) => `/fhir/R4/Observation/${x.record}`);
    const pairs = new Map();
    for (const x of obs) pairs.set(`${x.p}|${x.code}`, (pairs.get(`${x.p}|${x.code}`) ?? 0) + 1);
    const searchPaths = shuffle([...pairs.keys()], 7).map((k) => {
      const [p, code] = k.split('|');
      return `/fhir/R4/Observation?patient=${pids[p]}&code=${encodeURIComponent(`http://loinc.org|${code}`)}`;
    });
    const obsPerPatient = obs.length / flags.patients;
    const auth = { authorization: `Bearer ${tok}` };
    // one correctness probe of each before the load runs; a node that fell behind its peers while
    // it indexed refuses reads (503) until it has caught up: that wait is measured, not failed
    const tCurrent = now();
    let probeRead = await fhirGet(readPaths[0].slice('/fhir/R4/'.length), tok);
    while (probeRead.status === 503 && now() - tCurrent < 120_000) {
      await sleep(250);
      probeRead = await fhirGet(readPaths[0].slice('/fhir/R4/'.length), tok);
    }
    m.index.reads_refused_after_index_ms = round(now() - tCurrent, 0);
    if (probeRead.status !== 200 || probeRead.body.id !== obs[0].record) fail(`read probe: HTTP ${probeRead.status} ${JSON.stringify(probeRead.body).slice(0, 300)}`);
    const [pp, pc] = [...pairs.keys()][0].split('|');
    const probeSearch = await fhirGet(`Observation?patient=${pids[pp]}&code=${encodeURIComponent(`http://loinc.org|${pc}`)}`, tok);
    if (probeSearch.status !== 200 || probeSearch.body.total !== pairs.get(`${pp}|${pc}`)) fail(`search probe: HTTP ${probeSearch.status}, total ${probeSearch.body.total}, expected ${pairs.get(`${pp}|${pc}`)}`);
    m.read = await cannon('read Observation/<id>', o.readS, readPaths, auth);
    m.read.ids_cycled = readPaths.length;
    m.read_single = await cannon('read, 1 connection', flags.singleS, readPaths, auth, 1);
    if (o.metadata) {
      m.metadata = await cannon('metadata (HTTP ceiling)', o.metadataS, ['/fhir/R4/metadata']);
      m.read_to_metadata_ratio = round(m.read.req_per_s / m.metadata.req_per_s, 3);
    }
    m.search = await cannon('search Observation?patient&code', o.searchS, searchPaths, auth);
    m.search.pairs_cycled = searchPaths.length;
    m.search_single = await cannon('search, 1 connection', flags.singleS, searchPaths, auth, 1);
    m.search.observations_per_patient = round(obsPerPatient, 1);
    m.search.matches_per_search_mean = round(obs.length / pairs.size, 2);
    m.search.note = 'node 0 decrypts every Observation of the patient (observations_per_patient) to match the code, and discloses the matches';
    // counts: the resources readable by node 0 (its organisation), per type
    m.count = { how: 'GET /fhir/R4/<type>?_summary=count, one after another (each decrypts every resource of the type)', by_type: {}, ms_by_type: {} };
    for (const type of ['Observation', 'Condition', 'Patient', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'Encounter', 'DiagnosticReport', 'DocumentReference']) {
      const r = await fhirGet(`${type}?_summary=count`, tok);
      if (r.status !== 200) fail(`count of ${type}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      m.count.by_type[type] = r.body.total;
      m.count.ms_by_type[type] = round(r.ms, 1);
    }
    m.count.readable_total = Object.values(m.count.by_type).reduce((a, b) => a + b, 0);
    m.count.observation_count_ms = m.count.ms_by_type.Observation;
    log(`[fhir]   count: ${m.count.readable_total} resources readable by node 0 (${JSON.stringify(m.count.by_type)}); Observation count ${m.count.observation_count_ms} ms`);
    return m;
  };

  // ---------------------------------------------------------------------------------------------
  // 6. the sizes
  const sizes = {};
  if (flags.smallN > loaded.length && flags.smallN < flags.resources) {
    await bulkTo(flags.smallN);
    sizes.small = await measureAt('small', { readS: flags.smallS, searchS: flags.smallS, metadata: false });
  }
  await bulkTo(flags.resources);
  sizes.full = await measureAt('full', { readS: flags.readS, searchS: flags.searchS, metadataS: flags.metadataS, metadata: true });
  result.phases.bulk = { how: `the resources not created through FHIR: ${flags.batch > 1 ? `RecordsClient.writeBatch (write_batch transactions of ${flags.batch})` : 'RecordsClient.write'} by ${flags.practitioners} ${hospital} practitioners in parallel through node 0 (the FHIR path serialises on one key)`, runs: bulkRuns };
  result.phases.measure = sizes;

  // ---------------------------------------------------------------------------------------------
  // 7. every served read must reach the ledger: node 0's disclosure queue drains
  {
    const p0 = patientWallets[0];
    const path = `/v1/records/patients/${p0.patientId}/disclosures?limit=1`;
    const tDrain = now();
    let pending = -1;
    while (now() - tDrain < 60_000) {
      const authorization = p0.authorization(CHAIN_ID, { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud: nodesInit[0].nodeId });
      pending = (await clients[0].request('GET', path, { headers: { authorization } })).pending;
      if (pending === 0) break;
      await sleep(200);
    }
    result.phases.disclosures = { how: "node 0's disclosure queue (pending, from a patient's accounting endpoint) polled until empty after the last request", pending_at_end: pending, drain_ms: round(now() - tDrain, 0) };
    log(`[fhir] disclosures: queue ${pending === 0 ? 'drained' : `still ${pending}`} after ${result.phases.disclosures.drain_ms} ms`);
  }

  // ---------------------------------------------------------------------------------------------
  // 8. stop
  const validatorCpuS = await stopFastLocalnet(net, 'fhir', result);

  // ---------------------------------------------------------------------------------------------
  // figures and the summary
  const F = sizes.full;
  const S = sizes.small;
  const C = result.phases.create;
  const fig = {};
  fig.read_p50 = { figure: `FHIR read GET Observation/<id>, ${flags.connections} connections, ${F.count.readable_total} resources: p50 latency (ms)`, target: `<= ${flags.targetReadP50Ms} ms`, measured: F.read.latency_ms.p50, met: F.read.latency_ms.p50 <= flags.targetReadP50Ms };
  fig.read_p99 = { figure: 'FHIR read: p99 latency (ms)', target: null, measured: F.read.latency_ms.p99, met: null };
  fig.read_rate = { figure: 'FHIR read: req/s on node 0', target: null, measured: F.read.req_per_s, reference: { metadata_req_per_s: F.metadata.req_per_s, read_to_metadata: F.read_to_metadata_ratio, metadata_p50_ms: F.metadata.latency_ms.p50 }, met: null };
  fig.read_single = { figure: 'FHIR read with 1 connection (no queueing): p50 / p99 latency (ms), req/s', target: null, measured: { p50_ms: F.read_single.latency_ms.p50, p99_ms: F.read_single.latency_ms.p99, req_per_s: F.read_single.req_per_s }, met: null };
  fig.node_cpu_per_read = { figure: 'node 0 CPU per FHIR read (ms), 8 connections', target: null, measured: F.read.node0_cpu_ms_per_request, reference: { metadata: F.metadata.node0_cpu_ms_per_request, search: F.search.node0_cpu_ms_per_request }, met: null };
  fig.search_p50 = { figure: `FHIR search Observation?patient&code (${F.search.observations_per_patient} Observations per patient): p50 latency (ms)`, target: `<= ${flags.targetSearchP50Ms} ms`, measured: F.search.latency_ms.p50, met: F.search.latency_ms.p50 <= flags.targetSearchP50Ms };
  fig.search_p99 = { figure: 'FHIR search: p99 latency (ms)', target: null, measured: F.search.latency_ms.p99, reference: { req_per_s: F.search.req_per_s }, met: null };
  fig.search_single = { figure: 'FHIR search with 1 connection: p50 / p99 latency (ms), req/s', target: null, measured: { p50_ms: F.search_single.latency_ms.p50, p99_ms: F.search_single.latency_ms.p99, req_per_s: F.search_single.req_per_s }, met: null };
  fig.count_all = { figure: `GET Observation?_summary=count over all ${F.count.by_type.Observation} Observations (ms)`, target: null, measured: F.count.observation_count_ms, met: null };
  fig.resources = { figure: 'resources readable by node 0 at measurement', target: `the issue speaks of ${flags.targetResources} (a size to measure at, not a pass/fail of the product)`, measured: F.count.readable_total, met: null };
  fig.create = { figure: `FHIR create (incl. commit): p50 / p99 latency (ms) and creates/s, ${flags.writers} concurrent clients`, target: null, measured: { p50_ms: C.concurrent.latency_ms.p50, p99_ms: C.concurrent.latency_ms.p99, creates_per_s: C.concurrent.creates_per_s, creates_per_block: C.concurrent.creates_per_block, single_client_p50_ms: C.single_client.latency_ms.p50, single_client_per_s: C.single_client.creates_per_s }, met: null };
  fig.index_consistent = { figure: 'concurrent searches while the index catches up answer the full count', target: 'equal totals', measured: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, [v.index.first.total, v.index.concurrent_second.total, v.index.after_both.total, v.index.observations_loaded]])), met: Object.values(sizes).every((v) => v.index.consistent) };
  fig.reads_logged = { figure: "node 0's disclosure queue drains after the load", target: 'pending 0', measured: result.phases.disclosures.pending_at_end, met: result.phases.disclosures.pending_at_end === 0 };
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
  const loadNote = 'bench_busy_cores counts this process (autocannon included) and the 4 validators; others_busy_cores is the rest of the machine';
  setFiguresAndLoad({ result, fig, crashes, meter, validatorCpuS, note: loadNote });
  const non2xx = Object.fromEntries(
    Object.entries(sizes).flatMap(([size, m]) =>
      ['read', 'read_single', 'metadata', 'search', 'search_single']
        .filter((k) => m[k])
        .map((k) => [`${size}.${k}`, Object.entries(m[k].status_codes).reduce((a, [c, x]) => a + (c.startsWith('2') ? 0 : x), 0) + m[k].errors]),
    ),
  );
  const resources = `${F.count.readable_total} readable by node 0 (${F.by_path.fhir_create} created through FHIR, ${F.by_path.sdk_bulk} bulk-loaded through the SDK by practitioners); the target speaks of ${flags.targetResources}`;
  result.summary = figureSummary(fig, { resources }, { non_2xx_or_errors_by_run: non2xx });
  writeResultFile(result, flags.out, 'fhir');
  emit(result);
  cleanup();
  process.exit(0);
}
