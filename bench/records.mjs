#!/usr/bin/env node
// The records benchmark: encrypted health records through the SDK (RecordsClient) against 4 validators
// as 4 real processes on this machine (`salus start --home` on homes made by initLocalnet; Tendermint
// BFT over mutual-TLS loopback links). Consensus runs with FAST timeouts (those of
// packages/node/test/net-harness.ts: propose 800 ms, prevote/precommit 300 ms, commitDelay 20 ms,
// emptyBlockWait 300 ms), so latencies are those of a fast-configured localnet, not of the defaults.
// Signing is native (createNativeEd25519) in every wallet and in the nodes.
//
//   npm run bench:records                          full (about 75 s on 2 quiet cores)
//   node bench/records.mjs --quick                 scaled down (about 30 s)
//   node bench/records.mjs --writers 12 --readers 16 --read-procs 2 --rounds 20
//   node bench/records.mjs --cpu-prof-node 0 ...   writes a V8 CPU profile of validator 0 to bench/out/prof-records/
//                                                   (summarise it with bench/cpuprofile-summary.mjs)
//
// Parties (as packages/node/test/records-fixture.ts sets them up): practitioners are added with
// identity/add_member by their organisation's admin (<home>/keys/<org>-admin.json, which is also the
// practitioner's organisation wallet that opens organisation envelopes); patients register
// (register_patient + keyring) and grant organisations read+write on all their records.
//
// Phases:
//  write    --writers practitioners (writer k: organisation k mod 4, using the API of node k mod 4),
//           each a closed loop of RecordsClient.write of a ~--doc-bytes FHIR Observation for the
//           write-phase patients, for --write-s seconds. One write = recipients lookup, HPKE encrypt,
//           PUT of the content blob and of every envelope blob, then the write transaction with
//           wait=commit (latency: SDK call start → committed receipt). Writes/s = writes committed
//           in the window ÷ its length, by the node they were submitted to and in total.
//           Replication of each write, measured without slowing its writer: on each of the 3 other
//           nodes, GET /v1/records/<rec> (unauthenticated metadata) every --repl-poll-ms until the
//           version and its content hash are there (committed there), then a read of that version
//           as the patient through that node's API (the signed GET; the bytes are hash-checked, not
//           decrypted: client crypto is not replication) every --repl-poll-ms until it succeeds. There is
//           no public blob-exists endpoint, so "replicated" = readable through every node's API; a
//           node that still lacks the blob fetches it from its peers on demand during that read, so
//           this is "available everywhere", an upper bound on neither background copy nor fetch.
//  read     one node (--read-node), a closed loop of --readers concurrent RecordsClient.read calls
//           (in --read-procs child processes) of records written by other organisations and readable
//           by the readers' organisation through the patients' grants (basis 'grant'): signed request,
//           consent check, blobs from the node's store, disclosure queued, then unwrap + decrypt in
//           the client. {version} is passed so one read = one HTTP request. --read-warm-s of warm-up
//           (every record read once at least; blobs local), then --read-s measured. Then --ceiling-s
//           of the same reads by 1 reader (the latency without queueing), and, --ceiling-s each, with
//           the same client stack (SalusClient, fetch) and concurrency: the node's part of a
//           read alone (the same signed GET, the client neither unwraps nor decrypts: what the node
//           sustains when its clients' crypto runs elsewhere), and the peer: closed loops of the
//           unauthenticated GET /v1/status and GET /v1/records/<id> (metadata) on the same node, the
//           node's HTTP ceiling. The client's CPU per unwrap+decrypt is measured before the network
//           starts (client_crypto_cpu_ms): on 2 shared cores it bounds what one machine can drive. Then the read node's disclosure queue is waited out and the
//           patients' accountings of disclosures are counted: every served read must be on the ledger.
//  consent  --rounds rounds on one patient: a practitioner of organisation A writes a fresh record;
//           the patient grants organisation B read on it (grant transaction, then the SDK's
//           syncEnvelopes re-wraps the data key for B: RecordsClient.grant's steps, split to time the
//           commit); pollers read it as a practitioner of B through all 4 nodes every --poll-ms.
//           Grant: submit start → first response that is not CONSENT_REQUIRED (consent effective) and
//           → first successful read, on each node. Then the patient revokes (client.send waits for the
//           commit): submit start, and commit receipt, → first CONSENT_REQUIRED on each node. Median and
//           max over rounds of the slowest node; reads served by the submitting node after the revoke's
//           receipt (must be 0).
// Prints one JSON object on stdout (progress on stderr; the per-round consent details only in the file)
// and writes bench/out/records.json.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errCode = (e) => e?.code ?? e?.name ?? String(e);
/** A failure of the benchmark itself (not the node's), with a code like the node's errors. */
class BenchError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

if (process.env.SALUS_BENCH_RECORDS_ROLE === 'load') await loadClient();
else await main();

// =============================================================================================
// The load client: a child process running a closed loop against one node, as told over IPC.

async function loadClient() {
  const { RecordsClient, SalusClient, Wallet } = await import('../packages/client/dist/index.js');
  const { createNativeEd25519 } = await import('../packages/node/dist/crypto/native-ed25519.js');
  const { createNativeKeyWrap } = await import('../packages/node/dist/crypto/native-hpke.js');
  const ed = createNativeEd25519();
  const kw = process.env.SALUS_BENCH_WEB_HPKE === '1' ? undefined : createNativeKeyWrap();
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m) => {
    if (m.cmd !== 'run') return;
    const client = new SalusClient({ url: m.url, ed });
    const rcs = (m.readers ?? []).map((r) => new RecordsClient(client, Wallet.import(r.wallet, ed, kw), { orgWallet: Wallet.import(r.org, ed, kw) }));
    const items = m.items;
    let next = 0;
    const op = async (w) => {
      const i = next++;
      const it = items[i % items.length];
      if (m.kind === 'read') {
        const r = await rcs[(i + w) % rcs.length].read(it.record, { version: it.version });
        if (r.basis !== 'grant') throw new BenchError('UNEXPECTED_BASIS', `basis ${r.basis}, not grant`);
      } else if (m.kind === 'read_node') {
        // the node's part of a read only: the same signed GET, no unwrap/decrypt in the client
        const r = rcs[(i + w) % rcs.length];
        const path = `/v1/records/${it.record}/versions/${it.version}`;
        const authorization = r.wallet.authorization(m.chainId, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: m.aud });
        const res = await client.request('GET', path, { headers: { authorization } });
        if (res.basis !== 'grant') throw new BenchError('UNEXPECTED_BASIS', `basis ${res.basis}, not grant`);
      } else if (m.kind === 'status') await client.status();
      else if (m.kind === 'meta') await client.request('GET', `/v1/records/${it.record}`);
    };
    const lat = [];
    const errors = {};
    let okTotal = 0; // successful operations including the warm-up
    let servedButFailed = 0; // the node answered 200 but the client refused the answer (for reads: disclosed anyway)
    const t0 = now();
    const tWarmEnd = t0 + m.warmupMs;
    const tGiveUp = tWarmEnd + 30_000; // the warm-up never completed (every read failing): stop anyway
    let tMeasure = Infinity;
    let tEnd = Infinity;
    let cpu0 = process.cpuUsage();
    // the warm-up lasts warmupMs and reads every item at least once (blobs local, keys cached, JIT warm)
    let warmed = !m.kind.startsWith('read');
    const worker = async (w) => {
      for (;;) {
        const ts = now();
        if (tMeasure === Infinity && ts >= tWarmEnd && (warmed || ts >= tGiveUp)) {
          tMeasure = ts;
          tEnd = ts + m.durationMs;
          cpu0 = process.cpuUsage();
          process.send({ ev: 'measuring' });
        }
        if (ts >= tEnd) return;
        try {
          await op(w);
          okTotal++;
          if (ts >= tMeasure) lat.push(now() - ts);
        } catch (e) {
          const c = errCode(e);
          errors[c] = (errors[c] ?? 0) + 1;
          if (['HASH_MISMATCH', 'DECRYPTION_FAILED', 'UNEXPECTED_BASIS', 'MALFORMED_ENCODING'].includes(c)) servedButFailed++;
          await sleep(5);
        }
        if (!warmed && next >= items.length) warmed = true;
      }
    };
    // measured: operations started in [tMeasure, tMeasure + durationMs)
    await Promise.all(Array.from({ length: m.concurrency }, (_, w) => worker(w)));
    const cpu = process.cpuUsage(cpu0);
    process.send({ ev: 'done', lat, errors, okTotal, servedButFailed, cpuMs: (cpu.user + cpu.system) / 1000 });
  });
  process.send({ ev: 'ready' });
}

// =============================================================================================
// The bench process.

async function main() {
  const lib = await import('./lib.mjs');
  const { BENCH_DIR, CHAIN_ID, createNativeEd25519, emit, fail, figureSummary, latencyStats, localnetResult, log, median, parseQuickFlags, procCpuS, round, setFiguresAndLoad, startFastLocalnet, startLocalnetBench, stopFastLocalnet, writeResultFile } = lib;
  const { RecordsClient, SalusClient, Wallet } = await import('../packages/client/dist/index.js');
  const { toHex } = await import('../packages/core/dist/index.js');

  const flags = parseQuickFlags(
    {
      writers: 8,
      writeS: 20,
      patients: 4,
      docBytes: 5120,
      replPollMs: 5,
      readers: 8,
      readProcs: 1,
      readNode: 0,
      readRecords: 200,
      readWarmS: 2,
      readS: 15,
      ceilingS: 5,
      rounds: 10,
      pollMs: 5,
      roundTimeoutS: 20,
      logLevel: 'warn',
      cpuProfNode: -1,
      cpuProfDir: join(BENCH_DIR, 'out', 'prof-records'),
      targetReadP50Ms: 5,
      targetReadP99Ms: 20,
      targetReadsPerS: 2000,
      out: join(BENCH_DIR, 'out'),
      keep: false,
      // HPKE in the SDK: Node's native primitives (packages/node/src/crypto/native-hpke.ts), or with --web-hpke the WebCrypto one the browser uses
      webHpke: false,
    },
    // --quick
    { writers: 4, writeS: 6, patients: 2, readWarmS: 1, readS: 4, ceilingS: 2, rounds: 3 },
  );
  if (flags.webHpke) process.env.SALUS_BENCH_WEB_HPKE = '1';
  const { createNativeKeyWrap } = await import('../packages/node/dist/crypto/native-hpke.js');
  const kw = flags.webHpke ? undefined : createNativeKeyWrap();
  if (flags.readNode < 0 || flags.readNode > 3) fail('--read-node must be 0 to 3');
  if (flags.writers < 1 || flags.readers < 1 || flags.readProcs < 1 || flags.patients < 1 || flags.rounds < 1) fail('--writers, --readers, --read-procs, --patients and --rounds must be at least 1');
  mkdirSync(flags.out, { recursive: true });

  // ---------------------------------------------------------------------------------------------
  // cleanup of everything started here, also on failure (fail: the exit handler cleans up) and on a signal
  const { dir, track, cleanup, meter, mach } = startLocalnetBench({ prefix: 'salus-bench-records-', keep: flags.keep, tag: 'records' });

  // the client's own cost of a read and of a write (before any validator runs): sign the request,
  // unwrap + decrypt a ~docBytes record; encrypt one to 6 recipients (as a write-phase write)
  const clientCrypto = await (async () => {
    const { sealBlobs, recordAad } = await import('../packages/client/dist/index.js');
    const ed0 = createNativeEd25519();
    const w = Wallet.create(ed0, kw);
    const web = Wallet.create(ed0);
    const pt = new TextEncoder().encode(JSON.stringify(fhirDoc(flags.docBytes, 'x')));
    const aad = recordAad(`rec-${'0'.repeat(32)}`, 1, `pat-${'0'.repeat(32)}`);
    const six = Array.from({ length: 6 }, () => w.encryptionPublicKey);
    const sealed = await sealBlobs(pt, [w.encryptionPublicKey], aad, w.keyWrap);
    const sealedWeb = await sealBlobs(pt, [web.encryptionPublicKey], aad);
    const cpuPer = async (n, f) => {
      for (let i = 0; i < 20; i++) await f();
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) await f();
      const c = process.cpuUsage(c0);
      return round((c.user + c.system) / 1000 / n, 3);
    };
    return {
      sign_request: await cpuPer(500, () => w.authorization(CHAIN_ID, { method: 'GET', path: '/v1/records/x/versions/1', purpose: 'treatment', bodyHash: '', aud: '0'.repeat(64) })),
      unwrap_and_decrypt: await cpuPer(200, () => w.openRecord(sealed.content, sealed.envelopes[0].bytes, aad)),
      encrypt_to_6_recipients: await cpuPer(100, () => sealBlobs(pt, six, aad, w.keyWrap)),
      web_hpke: {
        unwrap_and_decrypt: await cpuPer(200, () => web.openRecord(sealedWeb.content, sealedWeb.envelopes[0].bytes, aad)),
        encrypt_to_6_recipients: await cpuPer(100, () => sealBlobs(pt, six, aad)),
      },
      hpke: flags.webHpke ? 'WebCrypto (@hpke/core)' : 'native (node:crypto)',
      note: 'CPU ms per operation in this process (SDK: Wallet.authorization; Wallet.openRecord = HPKE unwrap + AES-GCM; sealBlobs), measured before the validators start; web_hpke: the same with the WebCrypto HPKE a browser uses',
    };
  })();
  log(`[records] client crypto CPU per op: sign ${clientCrypto.sign_request} ms, unwrap+decrypt ${clientCrypto.unwrap_and_decrypt} ms, encrypt to 6 ${clientCrypto.encrypt_to_6_recipients} ms`);

  // ---------------------------------------------------------------------------------------------
  // 1. the network
  const net = await startFastLocalnet({ dir, track, tag: 'records', logLevel: flags.logLevel, cpuProfNode: flags.cpuProfNode, cpuProfDir: flags.cpuProfDir });
  const { nodesInit, orgs, crashes, url, getJson, nodeCpu } = net;
  log('[records] 4 validators committing');

  // ---------------------------------------------------------------------------------------------
  // 2. parties
  const ed = createNativeEd25519();
  const clients = [0, 1, 2, 3].map((i) => new SalusClient({ url: url(i), ed }));
  const adminJson = nodesInit.map((n) => JSON.parse(readFileSync(join(n.home, 'keys', `${n.org}-admin.json`), 'utf8')));
  const admins = adminJson.map((j) => Wallet.import(j, ed, kw));
  const memberPayload = (org, w, name) => ({ org, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role: 'practitioner', name });
  const readOrgIdx = flags.readNode;
  const consentA = (readOrgIdx + 1) % 4; // authors the consent-phase records
  const consentB = (readOrgIdx + 2) % 4; // is granted and revoked
  const members = [[], [], [], []]; // per organisation: { wallet, name }
  const writerWallets = Array.from({ length: flags.writers }, (_, k) => {
    const w = Wallet.create(ed, kw);
    members[k % 4].push({ w, name: `Dr Writer ${k}` });
    return w;
  });
  const readerWallets = Array.from({ length: 4 }, (_, k) => {
    const w = Wallet.create(ed, kw);
    members[readOrgIdx].push({ w, name: `Dr Reader ${k}` });
    return w;
  });
  const authorA = Wallet.create(ed, kw);
  members[consentA].push({ w: authorA, name: 'Dr Consent Author' });
  const readerB = Wallet.create(ed, kw);
  members[consentB].push({ w: readerB, name: 'Dr Consent Reader' });
  const tSetup = now();
  await Promise.all(
    members.map(async (list, o) => {
      for (const m of list) await clients[o].send(admins[o], 'identity', 'add_member', memberPayload(orgs[o], m.w, m.name));
    }),
  );
  log(`[records] ${members.flat().length} practitioners added (${((now() - tSetup) / 1000).toFixed(1)} s)`);

  // patients: the write-phase ones grant all 4 organisations read+write on everything; the consent
  // patient grants organisation A read+write (it authors), B gets per-round grants
  const patientWallets = Array.from({ length: flags.patients }, () => Wallet.create(ed, kw));
  const patientQ = Wallet.create(ed, kw);
  const rc = (w, node, orgIdx) => new RecordsClient(clients[node], w, orgIdx === undefined ? {} : { orgWallet: admins[orgIdx] });
  const tPat = now();
  await Promise.all([
    ...patientWallets.map(async (w, p) => {
      const c = rc(w, p % 4);
      await c.registerPatient();
      for (let o = 0; o < 4; o++) await c.grant({ id: `w-${o}`, grantee: { org: orgs[o] }, scope: 'all', actions: ['read', 'write'] });
    }),
    (async () => {
      const c = rc(patientQ, consentA);
      await c.registerPatient();
      await c.grant({ id: 'author', grantee: { org: orgs[consentA] }, scope: 'all', actions: ['read', 'write'] });
    })(),
  ]);
  const pids = patientWallets.map((w) => w.patientId);
  log(`[records] ${flags.patients + 1} patients registered, keyrings shared, grants given (${((now() - tPat) / 1000).toFixed(1)} s)`);

  const doc0 = fhirDoc(flags.docBytes, 'probe');
  const docJsonBytes = Buffer.byteLength(JSON.stringify(doc0));

  const result = localnetResult({
    bench: 'records',
    description: 'encrypted FHIR records through the SDK (RecordsClient) against 4 validator processes on loopback (Tendermint BFT, FAST timeouts)',
    mach,
    flags,
    orgs,
    setup: {
      signing: 'native Ed25519 (createNativeEd25519) in wallets and nodes',
      client: 'SalusClient/RecordsClient from packages/client/dist (global fetch, keep-alive)',
      fhir_resource: { resourceType: 'Observation', json_bytes: docJsonBytes },
      patients_write_phase: flags.patients,
      practitioners: { writers: flags.writers, readers: readerWallets.length, consent_author: 1, consent_reader: 1 },
      read_node: flags.readNode,
      read_org: orgs[readOrgIdx],
    },
  });
  let loadProcCpuS = 0;

  // ---------------------------------------------------------------------------------------------
  // 3. write phase
  {
    log(`[records] write: ${flags.writers} writers × closed loop for ${flags.writeS} s (${docJsonBytes} B FHIR JSON each)…`);
    const writers = writerWallets.map((w, k) => ({ k, node: k % 4, org: k % 4, c: rc(w, k % 4, k % 4) }));
    // warm-up outside the window: every writer opens every patient's keyring once (tag key cached)
    await Promise.all(writers.map(async (wr) => Promise.all(pids.map((p) => wr.c.tagKey(p)))));
    const writes = []; // { k, node, org, p, t0, t1, record, version, height }
    const errors = {};
    const probes = [];
    let ctSize;
    let envelopesPerWrite;
    const cpu0 = nodeCpu();
    const tStart = now();
    const tStop = tStart + flags.writeS * 1000;
    let seq = 0;
    const probe = async (w) => {
      // on each other node: committed (metadata shows the version and its content hash), then readable as the patient
      const others = [0, 1, 2, 3].filter((j) => j !== w.node);
      w.content = (await getJson(`${url(w.node)}/v1/records/${w.record}`)).versions[w.version - 1].content;
      const deadline = w.t1 + 30_000;
      const per = await Promise.all(
        others.map(async (j) => {
          let tMeta = null;
          let tRead = null;
          let readTries = 0;
          while (now() < deadline) {
            try {
              const meta = await getJson(`${url(j)}/v1/records/${w.record}`, 5000);
              const v = meta.versions?.[w.version - 1];
              if (v) {
                if (v.content !== w.content) throw new BenchError('HASH_MISMATCH', `node ${j} names content ${v.content} for ${w.record} v${w.version}, node ${w.node} ${w.content}`);
                tMeta = now();
                break;
              }
            } catch (e) {
              if (e.status !== 404) throw e;
            }
            await sleep(flags.replPollMs);
          }
          let tTry = null;
          while (tMeta !== null && now() < deadline) {
            readTries++;
            tTry = now();
            try {
              // the read as the patient, without decrypting here (the client's crypto is not replication):
              // served = the node returns the ciphertext and it hashes to the content hash on the ledger
              const path = `/v1/records/${w.record}/versions/${w.version}`;
              const authorization = patientWallets[w.p].authorization(CHAIN_ID, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: nodesInit[j].nodeId });
              const res = await clients[j].request('GET', path, { headers: { authorization } });
              if (createHash('sha256').update(Buffer.from(res.content.bytes, 'base64')).digest('hex') !== w.content) throw new BenchError('HASH_MISMATCH', `node ${j} served bytes that do not hash to the content hash`);
              tRead = now();
              break;
            } catch (e) {
              w.probeErrors[errCode(e)] = (w.probeErrors[errCode(e)] ?? 0) + 1;
            }
            await sleep(flags.replPollMs);
          }
          return { j, tMeta, tRead, readTries, lastReadMs: tRead === null ? null : tRead - tTry };
        }),
      );
      w.repl = per;
    };
    await Promise.all(
      writers.map(async (wr) => {
        let n = 0;
        while (now() < tStop) {
          const p = (wr.k + n++) % pids.length;
          const doc = fhirDoc(flags.docBytes, `w${wr.k}-${seq++}`);
          const t0 = now();
          try {
            const r = await wr.c.write(pids[p], doc);
            const t1 = now();
            const w = { k: wr.k, node: wr.node, org: wr.org, p, t0, t1, record: r.record, version: r.version, height: r.receipt.height, probeErrors: {} };
            writes.push(w);
            if (ctSize === undefined || envelopesPerWrite === undefined) {
              const meta = await clients[wr.node].request('GET', `/v1/records/${r.record}`);
              ctSize = meta.versions[0].size;
              envelopesPerWrite = meta.versions[0].envelopes.length;
            }
            probes.push(probe(w).catch((e) => (w.probeFailure = e.message)));
          } catch (e) {
            errors[errCode(e)] = (errors[errCode(e)] ?? 0) + 1;
            if (Object.values(errors).reduce((a, b) => a + b, 0) <= 5) log(`[records] write failed: ${errCode(e)} ${e.message}`);
            await sleep(50);
          }
        }
      }),
    );
    const tDone = now();
    const cpu1 = nodeCpu();
    await Promise.all(probes);
    const inWindow = writes.filter((w) => w.t1 <= tStop);
    const perNode = [0, 1, 2, 3].map((i) => inWindow.filter((w) => w.node === i).length);
    const lat = writes.map((w) => w.t1 - w.t0);
    const complete = writes.filter((w) => w.repl && w.repl.every((x) => x.tRead !== null));
    const committedAll = writes.filter((w) => w.repl && w.repl.every((x) => x.tMeta !== null));
    const replAfterCommit = complete.map((w) => Math.max(...w.repl.map((x) => x.tRead)) - w.t1);
    const replFromStart = complete.map((w) => Math.max(...w.repl.map((x) => x.tRead)) - w.t0);
    const commitAllAfter = committedAll.map((w) => Math.max(...w.repl.map((x) => x.tMeta)) - w.t1);
    const probeErrs = {};
    for (const w of writes) for (const [c, n] of Object.entries(w.probeErrors)) probeErrs[c] = (probeErrs[c] ?? 0) + n;
    const winS = flags.writeS;
    result.phases.write = {
      writers: flags.writers,
      writers_per_node: [0, 1, 2, 3].map((i) => writers.filter((w) => w.node === i).length),
      window_s: winS,
      writes_committed_in_window: inWindow.length,
      writes_per_s_total: round(inWindow.length / winS, 2),
      writes_per_s_by_node: perNode.map((n) => round(n / winS, 2)),
      write_latency_ms: latencyStats(lat),
      ciphertext_bytes: ctSize,
      envelopes_per_write: envelopesPerWrite,
      http_requests_per_write: envelopesPerWrite === undefined ? null : `${envelopesPerWrite + 1} blob PUTs + recipients + status + nonce + POST /v1/txs?wait=commit = ${envelopesPerWrite + 5}`,
      replication: {
        method: 'per other node: GET /v1/records/<rec> every repl_poll_ms until the version (with the same content hash) is there, then the patient-signed GET /v1/records/<rec>/versions/<v> through that node every repl_poll_ms until it serves bytes hashing to the content hash (not decrypted here; a node lacking the blob fetches it from peers during that read)',
        writes_probed: writes.length,
        readable_on_all_4: complete.length,
        probe_failures: writes.filter((w) => w.probeFailure || !w.repl || w.repl.some((x) => x.tRead === null)).length,
        committed_on_all_4_after_receipt_ms: latencyStats(commitAllAfter),
        readable_on_all_4_after_receipt_ms: latencyStats(replAfterCommit),
        readable_on_all_4_from_write_start_ms: latencyStats(replFromStart),
        probe_read_errors_before_success: probeErrs,
        successful_probe_read_duration_ms: latencyStats(complete.flatMap((w) => w.repl.map((x) => x.lastReadMs))),
        repl_poll_ms: flags.replPollMs,
      },
      errors,
      node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]) / ((tDone - tStart) / 1000), 2)),
    };
    const W = result.phases.write;
    log(`[records] write: ${W.writes_per_s_total} writes/s (by node ${W.writes_per_s_by_node.join('/')}), latency p50 ${W.write_latency_ms.p50} p99 ${W.write_latency_ms.p99} ms; readable on all 4 after receipt p50 ${W.replication.readable_on_all_4_after_receipt_ms.p50} p99 ${W.replication.readable_on_all_4_after_receipt_ms.p99} ms; errors ${JSON.stringify(errors)}`);
    result._writes = writes;
  }

  // ---------------------------------------------------------------------------------------------
  // 4. read phase, and the HTTP ceiling beside it
  {
    const readNode = flags.readNode;
    const items = result._writes
      .filter((w) => w.org !== readOrgIdx)
      .slice(0, flags.readRecords)
      .map((w) => ({ record: w.record, version: w.version, p: w.p }));
    if (items.length === 0) fail('no record written by another organisation than the readers\' to read');
    const readers = readerWallets.map((w) => ({ wallet: w.export(), org: adminJson[readOrgIdx] }));
    const procs = await Promise.all(Array.from({ length: flags.readProcs }, () => startLoadProc()));
    const runLoop = async (kind, durationS, warmS, concurrency = flags.readers) => {
      const per = splitEven(concurrency, procs.length).filter((n) => n > 0);
      const cpuMark = { start: null };
      let measuringCount = 0;
      const done = await Promise.all(
        procs.slice(0, per.length).map(
          (p, i) =>
            new Promise((resolve) => {
              const onMsg = (m) => {
                if (m.ev === 'measuring' && ++measuringCount === per.length) cpuMark.start = { t: now(), cpu: nodeCpu() };
                if (m.ev === 'done') {
                  p.off('message', onMsg);
                  resolve(m);
                }
              };
              p.on('message', onMsg);
              p.send({ cmd: 'run', kind, url: url(readNode), chainId: CHAIN_ID, aud: nodesInit[readNode].nodeId, readers, items: rotate(items, i), concurrency: per[i], warmupMs: warmS * 1000, durationMs: durationS * 1000 });
            }),
        ),
      );
      const tEnd = now();
      const cpuEnd = nodeCpu();
      const lat = done.flatMap((d) => d.lat);
      const errors = {};
      for (const d of done) for (const [c, n] of Object.entries(d.errors)) errors[c] = (errors[c] ?? 0) + n;
      const wallS = cpuMark.start ? (tEnd - cpuMark.start.t) / 1000 : durationS;
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
        node_cpu_cores: cpuMark.start ? cpuEnd.map((c, i) => round((c - cpuMark.start.cpu[i]) / wallS, 2)) : null,
      };
    };
    // wait until every read-phase record's blobs had a chance to reach the read node in the background
    await sleep(500);
    log(`[records] read: ${flags.readers} concurrent readers on node ${readNode} (${items.length} records, ${flags.readProcs} client process(es)), ${flags.readWarmS} s warm-up + ${flags.readS} s…`);
    const reads = await runLoop('read', flags.readS, flags.readWarmS);
    log(`[records] read: ${reads.ops_per_s} reads/s, p50 ${reads.latency_ms.p50} ms, p99 ${reads.latency_ms.p99} ms, errors ${JSON.stringify(reads.errors)}; node CPU ${JSON.stringify(reads.node_cpu_cores)}, client CPU ${reads.client_cpu_cores}`);
    const single = await runLoop('read', flags.ceilingS, 0.5, 1);
    log(`[records] read, 1 reader (no queueing): ${single.ops_per_s} reads/s, p50 ${single.latency_ms.p50} ms, p99 ${single.latency_ms.p99} ms`);
    log(`[records] read, node part only (the signed GET without the client's unwrap/decrypt), ${flags.ceilingS} s…`);
    const readsNode = await runLoop('read_node', flags.ceilingS, 1);
    log(`[records] read, node part: ${readsNode.ops_per_s} reads/s, p50 ${readsNode.latency_ms.p50} ms, p99 ${readsNode.latency_ms.p99} ms, errors ${JSON.stringify(readsNode.errors)}; node CPU ${JSON.stringify(readsNode.node_cpu_cores)}, client CPU ${readsNode.client_cpu_cores}`);
    log(`[records] ceiling: GET /v1/status closed loop, ${flags.ceilingS} s…`);
    const status = await runLoop('status', flags.ceilingS, 1);
    log(`[records] ceiling: ${status.ops_per_s} status/s, p50 ${status.latency_ms.p50} ms`);
    const meta = await runLoop('meta', flags.ceilingS, 1);
    log(`[records] ceiling: ${meta.ops_per_s} metadata GET/s, p50 ${meta.latency_ms.p50} ms`);
    for (const p of procs) {
      loadProcCpuS += procCpuS(p.pid);
      p.disconnect();
    }

    // every read served must reach the ledger: wait for the read node's disclosure queue to drain
    const servedReads = [reads, single, readsNode].reduce((a, x) => a + x.ok_total_including_warmup + x.served_but_refused_by_client, 0);
    const pWallet = patientWallets;
    const chainId = CHAIN_ID;
    const disclosuresOf = async (p, node) => {
      const all = new Map();
      let from = 0;
      let last;
      for (;;) {
        const path = `/v1/records/patients/${pWallet[p].patientId}/disclosures?fromHeight=${from}&limit=10000`;
        const authorization = pWallet[p].authorization(chainId, { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud: nodesInit[node].nodeId });
        const r = await clients[node].request('GET', path, { headers: { authorization } });
        last = r;
        for (const e of r.entries) all.set(`${e.height}:${e.index}:${e.seq}`, e);
        if (r.entries.length < 10000) break;
        const h = r.entries[r.entries.length - 1].height;
        from = h > from ? h : from + 1;
      }
      return { entries: [...all.values()], pending: last.pending, indexedHeight: last.indexedHeight };
    };
    const tDrain = now();
    let pending = -1;
    while (now() - tDrain < 30_000) {
      pending = (await disclosuresOf(0, readNode)).pending;
      if (pending === 0) break;
      await sleep(100);
    }
    const drainMs = now() - tDrain;
    // the other nodes must have indexed the same height before counting there (count on the read node)
    const readPatients = [...new Set(items.map((it) => it.p))];
    const counts = { 'read:grant': 0, 'read:patient': 0, other: 0 };
    const entriesPer = [];
    for (let p = 0; p < pWallet.length; p++) {
      const { entries } = await disclosuresOf(p, readNode);
      entriesPer.push(entries.length);
      for (const e of entries) {
        if (e.kind === 'read:grant') counts['read:grant']++;
        else if (e.kind === 'read:patient') counts['read:patient']++;
        else counts.other++;
      }
    }
    // cross-check on another node: the same accounting (it is built from the same committed blocks)
    const otherNode = (readNode + 1) % 4;
    let otherGrant = 0;
    for (const tO = now(); now() - tO < 5000; await sleep(200)) {
      otherGrant = 0;
      for (let p = 0; p < pWallet.length; p++) otherGrant += (await disclosuresOf(p, otherNode)).entries.filter((e) => e.kind === 'read:grant').length;
      if (otherGrant === counts['read:grant']) break;
    }
    // the SDK's own accounting call, for comparison with the paged count above
    const sdkDisclosures = await rc(pWallet[0], readNode).disclosures({ verify: false });
    result.phases.read = {
      read: reads,
      read_single_reader: single,
      read_node_part_only: readsNode,
      client_crypto_cpu_ms: clientCrypto,
      ceiling_status: status,
      ceiling_metadata: meta,
      ratio_reads_to_status: round(reads.ops_per_s / status.ops_per_s, 3),
      ratio_reads_to_metadata: round(reads.ops_per_s / meta.ops_per_s, 3),
      ratio_node_part_reads_to_status: round(readsNode.ops_per_s / status.ops_per_s, 3),
      node_cpu_ms_per_read: { sdk_read: round((reads.node_cpu_cores?.[flags.readNode] * 1000) / reads.ops_per_s, 3), node_part_only: round((readsNode.node_cpu_cores?.[flags.readNode] * 1000) / readsNode.ops_per_s, 3), status: round((status.node_cpu_cores?.[flags.readNode] * 1000) / status.ops_per_s, 3), note: 'CPU of the read node (/proc/<pid>/stat) over the measured window ÷ operations; the other nodes also work for every read (they execute and index its disclosure): see node_cpu_cores' },
      records_read: items.length,
      patients_of_records_read: readPatients.length,
      disclosures: {
        note: "counted from the write-phase patients' accounting of disclosures (GET /v1/records/patients/<p>/disclosures, signed by the patient) on the read node after its queue drained; read:grant entries come only from the read loops (SDK reads and node-part reads, warm-ups included), read:patient from the replication probes",
        reads_served_by_read_node_incl_warmup: servedReads,
        read_grant_entries_committed: counts['read:grant'],
        [`read_grant_entries_on_node_${otherNode}`]: otherGrant,
        read_patient_entries_committed: counts['read:patient'],
        other_entries: counts.other,
        queue_pending_after_drain: pending,
        drain_ms: round(drainMs, 0),
        all_served_reads_logged: counts['read:grant'] === servedReads && pending === 0,
        entries_per_patient: entriesPer,
        sdk_disclosures_check: { patient: 0, entries_paged_with_limit_10000: entriesPer[0], sdk_disclosures_verify_false_length: sdkDisclosures.length, note: 'RecordsClient.disclosures() follows the next cursor page by page; its length must equal the count paged here' },
      },
    };
    log(`[records] disclosures: ${counts['read:grant']} read:grant entries committed for ${servedReads} served reads (queue drained in ${Math.round(drainMs)} ms, pending ${pending}); node ${otherNode} shows ${otherGrant}`);
  }

  // ---------------------------------------------------------------------------------------------
  // 5. consent phase: grant → first read, revoke → first refusal, on every node
  {
    log(`[records] consent: ${flags.rounds} rounds of grant → read and revoke → refusal on all 4 nodes (poll every ${flags.pollMs} ms)…`);
    const author = rc(authorA, consentA, consentA);
    const bOn = [0, 1, 2, 3].map((j) => rc(readerB, j, consentB));
    const qOn = [0, 1, 2, 3].map((j) => rc(patientQ, j));
    const qid = patientQ.patientId;
    const rounds = [];
    const timeoutMs = flags.roundTimeoutS * 1000;
    for (let r = 0; r < flags.rounds; r++) {
      const sub = r % 4; // the node the patient submits through
      const round_ = { round: r, submit_node: sub };
      try {
        const { record } = await author.write(qid, fhirDoc(flags.docBytes, `consent-${r}`));
        // the record is known to every node before the clock starts (a NOT_FOUND for the record would look like consent)
        await Promise.all([0, 1, 2, 3].map((j) => waitFor(() => getJson(`${url(j)}/v1/records/${record}`).then(() => true, () => false), timeoutMs, `record on node ${j}`)));
        // the pollers as B before the grant: CONSENT_REQUIRED until the grant commits there; then NOT_FOUND (no envelope for B yet) until add_envelopes commits; then the read
        const id = `c-${r}-${toHex(crypto.getRandomValues(new Uint8Array(4)))}`;
        const gPoll = [0, 1, 2, 3].map((j) => pollNode(bOn[j], record, 'grant'));
        const tG0 = now();
        const qc = qOn[sub];
        const payload = { patient: qid, id, grantee: { org: orgs[consentB] }, scope: { records: [record] }, actions: ['read'], purposes: ['treatment'], until: null };
        await qc.client.send(qc.wallet, 'records', 'grant', payload);
        const tG1 = now();
        const rewrapped = await qc.syncEnvelopes(qid);
        const tG2 = now();
        const g = await Promise.all(gPoll.map((p) => p.done));
        round_.grant = {
          commit_receipt_ms: round(tG1 - tG0, 1),
          sdk_grant_done_ms: round(tG2 - tG0, 1),
          rewrapped,
          consent_effective_from_submit_ms: g.map((x) => (x.tFirstNonConsent === null ? null : round(x.tFirstNonConsent - tG0, 1))),
          first_read_from_submit_ms: g.map((x) => (x.tSuccess === null ? null : round(x.tSuccess - tG0, 1))),
          first_read_from_grant_commit_ms: g.map((x) => (x.tSuccess === null ? null : round(x.tSuccess - tG1, 1))),
          errors_seen: mergeCounts(g.map((x) => x.errors)),
        };
        await sleep(100);
        const rPoll = [0, 1, 2, 3].map((j) => pollNode(bOn[j], record, 'revoke'));
        const tR0 = now();
        await qc.revoke(id);
        const tR1 = now();
        rPoll.forEach((p) => (p.receiptAt = tR1));
        const v = await Promise.all(rPoll.map((p) => p.done));
        round_.revoke = {
          commit_receipt_ms: round(tR1 - tR0, 1),
          refused_from_submit_ms: v.map((x) => (x.tRefused === null ? null : round(x.tRefused - tR0, 1))),
          refused_from_commit_receipt_ms: v.map((x) => (x.tRefused === null ? null : round(x.tRefused - tR1, 1))),
          reads_served_started_after_receipt: v.map((x) => x.servedAfterReceipt),
          reads_served_after_first_refusal: v.map((x) => x.servedAfterRefusal),
          errors_seen: mergeCounts(v.map((x) => x.errors)),
        };
        log(`[records] consent round ${r}: grant → read on all 4 ${fmtMax(round_.grant.first_read_from_submit_ms)} ms (commit ${round_.grant.commit_receipt_ms} ms); revoke → refused on all 4 ${fmtMax(round_.revoke.refused_from_submit_ms)} ms from submit, ${fmtMax(round_.revoke.refused_from_commit_receipt_ms)} ms from receipt`);
      } catch (e) {
        round_.failure = `${errCode(e)}: ${e.message}`;
        log(`[records] consent round ${r} failed: ${round_.failure}`);
      }
      rounds.push(round_);
    }
    const ok = rounds.filter((x) => !x.failure && x.grant.first_read_from_submit_ms.every((t) => t !== null) && x.revoke.refused_from_submit_ms.every((t) => t !== null));
    const worst = (arr) => Math.max(...arr);
    const agg = (f) => {
      const xs = ok.map(f);
      return { median: round(median(xs), 1), max: round(Math.max(...xs), 1), n: xs.length };
    };
    const perNode = (f) => [0, 1, 2, 3].map((j) => round(median(ok.map((x) => f(x)[j])), 1));
    result.phases.consent = {
      rounds_run: rounds.length,
      rounds_complete: ok.length,
      poll_ms: flags.pollMs,
      resolution_note: `each node is polled by a closed loop of reads with ${flags.pollMs} ms between them, so a time is late by up to one read + ${flags.pollMs} ms`,
      grant: {
        how: "RecordsClient.grant's steps split: client.send(grant) (waits for commit), then syncEnvelopes (the patient re-wraps the data key for the grantee: read, PUT, add_envelopes with wait=commit); a fresh record every round",
        commit_receipt_ms: agg((x) => x.grant.commit_receipt_ms),
        consent_effective_all_4_from_submit_ms: agg((x) => worst(x.grant.consent_effective_from_submit_ms)),
        first_read_all_4_from_submit_ms: agg((x) => worst(x.grant.first_read_from_submit_ms)),
        first_read_all_4_from_grant_commit_ms: agg((x) => worst(x.grant.first_read_from_grant_commit_ms)),
        first_read_by_node_median_from_submit_ms: perNode((x) => x.grant.first_read_from_submit_ms),
      },
      revoke: {
        how: 'RecordsClient.revoke (client.send: status, nonce, POST /v1/txs?wait=commit) through node round mod 4',
        commit_receipt_ms: agg((x) => x.revoke.commit_receipt_ms),
        refused_all_4_from_submit_ms: agg((x) => worst(x.revoke.refused_from_submit_ms)),
        refused_all_4_from_commit_receipt_ms: agg((x) => worst(x.revoke.refused_from_commit_receipt_ms)),
        refused_by_node_median_from_submit_ms: perNode((x) => x.revoke.refused_from_submit_ms),
        reads_served_by_submit_node_after_receipt: ok.reduce((a, x) => a + x.revoke.reads_served_started_after_receipt[x.submit_node], 0),
        reads_served_by_other_nodes_after_receipt: ok.reduce((a, x) => a + x.revoke.reads_served_started_after_receipt.reduce((s, n, j) => s + (j === x.submit_node ? 0 : n), 0), 0),
        reads_served_after_a_nodes_first_refusal: ok.reduce((a, x) => a + x.revoke.reads_served_after_first_refusal.reduce((s, n) => s + n, 0), 0),
      },
      rounds,
    };
    const C = result.phases.consent;
    log(`[records] consent: grant → read on all 4 median ${C.grant.first_read_all_4_from_submit_ms.median} max ${C.grant.first_read_all_4_from_submit_ms.max} ms; revoke → refused on all 4 median ${C.revoke.refused_all_4_from_submit_ms.median} max ${C.revoke.refused_all_4_from_submit_ms.max} ms (from receipt: median ${C.revoke.refused_all_4_from_commit_receipt_ms.median})`);

    // one closed-loop reader per node until `done`: grant → until a read succeeds; revoke → until CONSENT_REQUIRED
    function pollNode(c, record, mode) {
      const st = { tFirstNonConsent: null, tSuccess: null, tRefused: null, servedAfterReceipt: 0, servedAfterRefusal: 0, errors: {}, receiptAt: Infinity };
      st.done = (async () => {
        const deadline = now() + timeoutMs;
        while (now() < deadline) {
          const ts = now();
          try {
            await c.read(record, { version: 1 });
            const te = now();
            if (mode === 'grant') {
              st.tFirstNonConsent ??= te;
              st.tSuccess = te;
              return st;
            }
            if (ts >= st.receiptAt) st.servedAfterReceipt++;
          } catch (e) {
            const code = errCode(e);
            st.errors[code] = (st.errors[code] ?? 0) + 1;
            const te = now();
            if (mode === 'grant' && code !== 'CONSENT_REQUIRED') st.tFirstNonConsent ??= te;
            if (mode === 'revoke' && code === 'CONSENT_REQUIRED') {
              st.tRefused = te;
              // a few more reads: once refused, a node must keep refusing
              for (let k = 0; k < 3; k++) {
                await sleep(flags.pollMs);
                try {
                  await c.read(record, { version: 1 });
                  st.servedAfterRefusal++;
                } catch {}
              }
              return st;
            }
          }
          await sleep(flags.pollMs);
        }
        return st;
      })();
      return st;
    }
  }
  delete result._writes;

  // ---------------------------------------------------------------------------------------------
  // 6. stop
  const validatorCpuS = await stopFastLocalnet(net, 'records', result);

  // ---------------------------------------------------------------------------------------------
  // figures and the summary
  const W = result.phases.write;
  const R = result.phases.read;
  const C = result.phases.consent;
  const fig = {};
  const rd = R.read;
  fig.read_p50 = { figure: `read of a granted record, node ${flags.readNode}, ${flags.readers} concurrent readers: p50 latency`, target: `<= ${flags.targetReadP50Ms} ms`, measured: rd.latency_ms.p50, met: rd.latency_ms.p50 <= flags.targetReadP50Ms };
  fig.read_p99 = { figure: 'read: p99 latency', target: `<= ${flags.targetReadP99Ms} ms`, measured: rd.latency_ms.p99, met: rd.latency_ms.p99 <= flags.targetReadP99Ms };
  fig.read_rate = { figure: 'read: reads/s on one node', target: `>= ${flags.targetReadsPerS}`, measured: rd.ops_per_s, met: rd.ops_per_s >= flags.targetReadsPerS };
  const rn = R.read_node_part_only;
  fig.read_node_p50 = { figure: 'read, node part only (signed GET, no client unwrap/decrypt): p50 latency', target: `<= ${flags.targetReadP50Ms} ms`, measured: rn.latency_ms.p50, met: rn.latency_ms.p50 <= flags.targetReadP50Ms };
  fig.read_node_p99 = { figure: 'read, node part only: p99 latency', target: `<= ${flags.targetReadP99Ms} ms`, measured: rn.latency_ms.p99, met: rn.latency_ms.p99 <= flags.targetReadP99Ms };
  fig.read_node_rate = { figure: 'read, node part only: reads/s on one node', target: `>= ${flags.targetReadsPerS}`, measured: rn.ops_per_s, met: rn.ops_per_s >= flags.targetReadsPerS };
  fig.read_single = { figure: 'read with 1 reader (no queueing): p50 / p99 latency', target: null, measured: { p50_ms: R.read_single_reader.latency_ms.p50, p99_ms: R.read_single_reader.latency_ms.p99, reads_per_s: R.read_single_reader.ops_per_s }, met: null };
  fig.read_vs_ceiling = { figure: 'reads/s ÷ GET /v1/status per s (same node, client, concurrency)', target: null, measured: R.ratio_reads_to_status, reference: { status_per_s: R.ceiling_status.ops_per_s, metadata_per_s: R.ceiling_metadata.ops_per_s, ratio_to_metadata: R.ratio_reads_to_metadata, node_part_reads_to_status: R.ratio_node_part_reads_to_status }, met: null };
  fig.reads_logged = { figure: 'every served read committed as a disclosure', target: 'read:grant disclosures = reads served, queue empty', measured: { served: R.disclosures.reads_served_by_read_node_incl_warmup, committed: R.disclosures.read_grant_entries_committed, pending: R.disclosures.queue_pending_after_drain }, met: R.disclosures.all_served_reads_logged };
  fig.write_rate = { figure: `write of a ${docJsonBytes} B FHIR resource, ${flags.writers} writers over 4 nodes: writes/s`, target: null, measured: { total: W.writes_per_s_total, by_node: W.writes_per_s_by_node }, met: null };
  fig.write_latency = { figure: 'write: SDK call start → committed receipt', target: null, measured: { p50_ms: W.write_latency_ms.p50, p99_ms: W.write_latency_ms.p99 }, met: null };
  fig.replication = { figure: 'write: receipt → readable through all 4 nodes', target: null, measured: { p50_ms: W.replication.readable_on_all_4_after_receipt_ms.p50, p99_ms: W.replication.readable_on_all_4_after_receipt_ms.p99, from_write_start_p50_ms: W.replication.readable_on_all_4_from_write_start_ms.p50, from_write_start_p99_ms: W.replication.readable_on_all_4_from_write_start_ms.p99 }, met: null };
  fig.revoke = { figure: 'revoke: submit → refused (CONSENT_REQUIRED) on all 4 nodes', target: null, measured: { median_ms: C.revoke.refused_all_4_from_submit_ms.median, max_ms: C.revoke.refused_all_4_from_submit_ms.max, from_commit_receipt_median_ms: C.revoke.refused_all_4_from_commit_receipt_ms.median, from_commit_receipt_max_ms: C.revoke.refused_all_4_from_commit_receipt_ms.max }, met: null };
  fig.grant = { figure: 'grant: submit → first successful read on all 4 nodes (incl. the re-wrap for the grantee)', target: null, measured: { median_ms: C.grant.first_read_all_4_from_submit_ms.median, max_ms: C.grant.first_read_all_4_from_submit_ms.max, consent_effective_median_ms: C.grant.consent_effective_all_4_from_submit_ms.median }, met: null };
  fig.revoke_safe = { figure: 'no read served by the submitting node after the revoke receipt, none after a refusal', target: '0', measured: C.revoke.reads_served_by_submit_node_after_receipt + C.revoke.reads_served_after_a_nodes_first_refusal, met: C.revoke.reads_served_by_submit_node_after_receipt === 0 && C.revoke.reads_served_after_a_nodes_first_refusal === 0 && C.rounds_complete === C.rounds_run };
  const loadNote = 'bench_busy_cores counts this process, its load clients and the 4 validators; others_busy_cores is the rest of the machine';
  setFiguresAndLoad({ result, fig, crashes, meter, validatorCpuS, extraCpuS: loadProcCpuS, note: loadNote });
  result.load.loadavg_at_end = readFileSync('/proc/loadavg', 'utf8').trim();
  result.summary = figureSummary(fig);
  writeResultFile(result, flags.out, 'records');
  // stdout leaves out the per-round consent details (they are in the file)
  emit({ ...result, phases: { ...result.phases, consent: { ...result.phases.consent, rounds: `${result.phases.consent.rounds.length} rounds: see ${join(flags.out, 'records.json')}` } } });
  cleanup();
  process.exit(0);

  // ---------------------------------------------------------------------------------------------
  function startLoadProc() {
    const p = track(fork(SELF, [], { env: { ...process.env, SALUS_BENCH_RECORDS_ROLE: 'load' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    return new Promise((resolve, reject) => {
      p.once('message', (m) => (m.ev === 'ready' ? resolve(p) : reject(new Error('load client: unexpected first message'))));
      p.once('exit', (code) => reject(new Error(`load client exited (${code}) before it was ready`)));
    });
  }
}

// =============================================================================================
// helpers

/** A FHIR R4 Observation (blood pressure panel) padded with narrative to about `bytes` bytes of JSON. */
function fhirDoc(bytes, marker) {
  const doc = {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel with all children optional' }], text: 'Blood pressure systolic & diastolic' },
    effectiveDateTime: new Date().toISOString(),
    performer: [{ display: 'Ward 7 nursing' }],
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N', display: 'Normal' }] }],
    bodySite: { coding: [{ system: 'http://snomed.info/sct', code: '368209003', display: 'Right arm' }] },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: 118, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: 76, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
    note: [{ text: marker }],
    text: { status: 'generated', div: '' },
  };
  const open = '<div xmlns="http://www.w3.org/1999/xhtml"><p>';
  const close = '</p></div>';
  const need = Math.max(0, bytes - Buffer.byteLength(JSON.stringify(doc)) - open.length - close.length);
  const sentence = 'Patient seated five minutes, cuff size adult regular, reading repeated after two minutes with consistent values; no postural symptoms reported. ';
  doc.text.div = open + sentence.repeat(Math.ceil(need / sentence.length) + 1).slice(0, need) + close;
  return doc;
}

async function waitFor(check, timeoutMs, what) {
  const end = now() + timeoutMs;
  while (now() < end) {
    if (await check()) return;
    await sleep(5);
  }
  throw new BenchError('TIMEOUT', `timed out waiting for ${what}`);
}

function mergeCounts(list) {
  const out = {};
  for (const o of list) for (const [k, n] of Object.entries(o)) out[k] = (out[k] ?? 0) + n;
  return out;
}

function fmtMax(arr) {
  return arr.some((x) => x === null) ? 'timeout' : Math.max(...arr).toFixed(1);
}

function splitEven(n, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

function rotate(arr, k) {
  const s = (k * Math.floor(arr.length / 2 + 1)) % arr.length;
  return [...arr.slice(s), ...arr.slice(0, s)];
}
