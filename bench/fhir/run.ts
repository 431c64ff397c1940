// The FHIR benchmark as a function: the FHIR R4 facade of node 0 (answering as hospital-1) of a
// 4-validator FAST localnet of real processes: parties, FHIR creates (create.ts), the bulk load
// (bulk.ts), measurements at --small-n and --resources (measure.ts), and node 0's disclosure queue
// drained after the load. Writes <out>/fhir.json and returns the result.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordsClient, SalusClient, Wallet, type WalletJson } from '@salus/client';
import { toHex } from '@salus/core';
import type autocannon from 'autocannon';
import { fail, log } from '../lib/cli.js';
import { CHAIN_ID } from '../lib/genesis.js';
import { waitForHeight, type NodeStatus } from '../lib/http.js';
import { fhirToken } from '../lib/internals.js';
import { logLevelOf, startFastLocalnet, startLocalnetBench, stopFastLocalnet } from '../lib/localnet.js';
import { createNativeEd25519, createNativeKeyWrap } from '../lib/native-crypto.js';
import { sleep } from '../lib/processes.js';
import { figureSummary, localnetResult, setFiguresAndLoad, writeResultFile, type LocalnetResult } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { bulkTo, type BulkRun } from './bulk.js';
import type { FhirCtx } from './context.js';
import { createPhase } from './create.js';
import { fhirFigures, non2xxByRun } from './figures.js';
import type { FhirFlags } from './flags.js';
import { measureAt, type Measure } from './measure.js';
import { resourceAt } from './resources.js';

export async function runFhir(flags: FhirFlags): Promise<LocalnetResult> {
  if (flags.patients < 1 || flags.writers < 1 || flags.practitioners < 1 || flags.connections < 1) fail('--patients, --writers, --practitioners and --connections must be at least 1');
  if (flags.batch < 1 || flags.batch > 100) fail('--batch must be 1 to 100 (write_batch takes at most 100 writes)');
  if (flags.fhirCreates < 2) fail('--fhir-creates must be at least 2');
  if (flags.resources < flags.fhirCreates + 1) fail('--resources must exceed --fhir-creates (+1 warm-up create)');
  logLevelOf(flags.logLevel);
  mkdirSync(flags.out, { recursive: true });
  const now = (): number => performance.now();

  // cleanup of everything started here, also on failure and on a signal (autocannon runs stopped first)
  const running = new Set<autocannon.Instance>();
  const { dir, track, cleanup, meter, mach } = startLocalnetBench({ prefix: 'salus-bench-fhir-', keep: flags.keep, tag: 'fhir', onSignal: () => running.forEach((a) => a.stop()) });
  try {
    // 1. the network
    const net = await startFastLocalnet({ dir, track, tag: 'fhir', logLevel: flags.logLevel, config: { fhir: { requestsPerSecond: flags.clientRps } }, cpuProfNode: flags.cpuProfNode, cpuProfDir: flags.cpuProfDir });
    const { nodesInit, orgs, url, getJson } = net;
    const hospital = orgs[0]!;
    const url0 = url(0);
    log(`[fhir] 4 validators committing; node 0 serves FHIR as ${hospital}`);

    // 2. parties
    const ed = createNativeEd25519();
    const kw = createNativeKeyWrap();
    const clients = [0, 1, 2, 3].map((i) => new SalusClient({ url: url(i), ed }));
    const admin = Wallet.import(JSON.parse(readFileSync(join(nodesInit[0]!.home, 'keys', `${hospital}-admin.json`), 'utf8')) as WalletJson, ed, kw);
    const memberPayload = (w: Wallet, role: string, name: string) => ({ org: hospital, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role, name });
    const service = Wallet.create(ed, kw);
    const serviceKeyFile = join(dir, 'ehr-integration.json');
    writeFileSync(serviceKeyFile, JSON.stringify(service.export()), { mode: 0o600 });
    const practitioners = Array.from({ length: flags.practitioners }, () => Wallet.create(ed, kw));
    const tSetup = now();
    await clients[0]!.send(admin, 'identity', 'add_member', memberPayload(service, 'service', 'EHR integration'));
    for (const [k, w] of practitioners.entries()) await clients[0]!.send(admin, 'identity', 'add_member', memberPayload(w, 'practitioner', `Dr Bulk ${k}`));
    const membersS = (now() - tSetup) / 1000;
    log(`[fhir] ${hospital}: a service member and ${practitioners.length} practitioners added (${membersS.toFixed(1)} s)`);

    const patientWallets = Array.from({ length: flags.patients }, () => Wallet.create(ed, kw));
    const tPat = now();
    let nextPatient = 0;
    const register = async (): Promise<void> => {
      while (nextPatient < patientWallets.length) {
        const p = nextPatient++;
        const c = new RecordsClient(clients[p % 4]!, patientWallets[p]!);
        await c.registerPatient();
        await c.grant({ id: 'hospital-care', grantee: { org: hospital }, scope: 'all', actions: ['read', 'write'], purposes: ['treatment', 'operations'] });
      }
    };
    await Promise.all(Array.from({ length: Math.min(flags.patientConcurrency, flags.patients) }, register));
    const pids = patientWallets.map((w) => w.patientId);
    const patientsS = (now() - tPat) / 1000;
    log(`[fhir] ${flags.patients} patients registered and granted ${hospital} read+write (${patientsS.toFixed(1)} s)`);
    // every node has committed the grants before node 0 is asked to write
    const hGrants = (await getJson<NodeStatus>(`${url0}/v1/status`)).height;
    await waitForHeight(getJson, [url0], hGrants);

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

    // what was loaded, and the token (a token lives 300 s: a fresh one for each phase after 120 s)
    const tokens = { at: -Infinity, token: '' };
    const token = async (): Promise<string> => {
      if (now() - tokens.at > 120_000) {
        tokens.token = (await fhirToken(url0, serviceKeyFile, 'system/*.cruds')).access_token;
        tokens.at = now();
      }
      return tokens.token;
    };
    const ctx: FhirCtx = { flags, net, url0, pids, loaded: [], next: 0, token, running };

    // 3. FHIR creates, 4. the bulk load and 5. the measurements at each size
    const create = await createPhase(ctx);
    result.phases.create = create;
    const bulkRuns: BulkRun[] = [];
    const rcs = practitioners.map((w) => new RecordsClient(clients[0]!, w, { orgWallet: admin }));
    const bulk = async (n: number): Promise<void> => {
      const run = await bulkTo(ctx, rcs, n);
      if (run) bulkRuns.push(run);
    };
    let small: Measure | undefined;
    if (flags.smallN > ctx.loaded.length && flags.smallN < flags.resources) {
      await bulk(flags.smallN);
      small = await measureAt(ctx, 'small', { readS: flags.smallS, searchS: flags.smallS, metadata: false });
    }
    await bulk(flags.resources);
    const full = await measureAt(ctx, 'full', { readS: flags.readS, searchS: flags.searchS, metadataS: flags.metadataS, metadata: true });
    const sizes = { ...(small ? { small } : {}), full };
    result.phases.bulk = { how: `the resources not created through FHIR: ${flags.batch > 1 ? `RecordsClient.writeBatch (write_batch transactions of ${flags.batch})` : 'RecordsClient.write'} by ${flags.practitioners} ${hospital} practitioners in parallel through node 0 (the FHIR path serialises on one key)`, runs: bulkRuns };
    result.phases.measure = sizes;

    // 6. every served read must reach the ledger: node 0's disclosure queue drains
    const p0 = patientWallets[0]!;
    const path = `/v1/records/patients/${p0.patientId}/disclosures?limit=1`;
    const tDrain = now();
    let pending = -1;
    while (now() - tDrain < 60_000) {
      const authorization = p0.authorization(CHAIN_ID, { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud: nodesInit[0]!.nodeId });
      pending = (await clients[0]!.request<{ pending: number }>('GET', path, { headers: { authorization } })).pending;
      if (pending === 0) break;
      await sleep(200);
    }
    const drainMs = round(now() - tDrain, 0);
    result.phases.disclosures = { how: "node 0's disclosure queue (pending, from a patient's accounting endpoint) polled until empty after the last request", pending_at_end: pending, drain_ms: drainMs };
    log(`[fhir] disclosures: queue ${pending === 0 ? 'drained' : `still ${pending}`} after ${drainMs} ms`);

    // 7. stop, figures and the summary
    const validatorCpuS = await stopFastLocalnet(net, 'fhir', result);
    const fig = fhirFigures(flags, sizes, create, pending);
    const loadNote = 'bench_busy_cores counts this process (autocannon included) and the 4 validators; others_busy_cores is the rest of the machine';
    setFiguresAndLoad({ result, fig, crashes: net.crashes, meter, validatorCpuS, note: loadNote });
    const resources = `${full.count.readable_total} readable by node 0 (${full.by_path.fhir_create} created through FHIR, ${full.by_path.sdk_bulk} bulk-loaded through the SDK by practitioners); the target speaks of ${flags.targetResources}`;
    result.summary = figureSummary(fig, { resources }, { non_2xx_or_errors_by_run: non2xxByRun(sizes) });
    writeResultFile(result, flags.out, 'fhir');
    return result;
  } finally {
    cleanup();
  }
}
