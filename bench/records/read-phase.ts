// The read phase: one node (--read-node), a closed loop of --readers concurrent RecordsClient.read
// calls (in --read-procs child processes) of records written by other organisations and readable by
// the readers' organisation through the patients' grants (basis 'grant'): signed request, consent
// check, blobs from the node's store, disclosure queued, then unwrap + decrypt in the client.
// {version} is passed so one read = one HTTP request. --read-warm-s of warm-up, then --read-s
// measured. Then --ceiling-s of the same reads by 1 reader (the latency without queueing), and,
// --ceiling-s each, with the same client stack and concurrency: the node's part of a read alone (the
// signed GET without the client's unwrap/decrypt), and the peer: closed loops of GET /v1/status and
// GET /v1/records/<id> on the same node, the node's HTTP ceiling. Then the read node's disclosure
// queue is waited out and the patients' accountings are counted: every served read must be there.
import { fail, log } from '../lib/cli.js';
import type { FastLocalnet } from '../lib/localnet.js';
import { procCpuS, sleep, type Owned } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import type { ClientCrypto } from './client-crypto.js';
import { disclosuresOf } from './disclosures.js';
import type { RecordsFlags } from './flags.js';
import type { Parties } from './parties.js';
import { runLoop, startLoadProc, type LoopResult, type LoopSpec } from './read-loops.js';
import type { Write } from './replication.js';
import { now } from './util.js';

export interface ReadPhase {
  read: LoopResult;
  read_single_reader: LoopResult;
  read_node_part_only: LoopResult;
  client_crypto_cpu_ms: ClientCrypto;
  ceiling_status: LoopResult;
  ceiling_metadata: LoopResult;
  ratio_reads_to_status: number;
  ratio_reads_to_metadata: number;
  ratio_node_part_reads_to_status: number;
  node_cpu_ms_per_read: { sdk_read: number; node_part_only: number; status: number; note: string };
  records_read: number;
  patients_of_records_read: number;
  disclosures: Record<string, unknown> & { all_served_reads_logged: boolean; reads_served_by_read_node_incl_warmup: number; read_grant_entries_committed: number; queue_pending_after_drain: number };
}

export async function readPhase(net: FastLocalnet, parties: Parties, flags: RecordsFlags, writes: readonly Write[], clientCrypto: ClientCrypto, track: Owned['track']): Promise<{ phase: ReadPhase; loadProcCpuS: number }> {
  const readNode = flags.readNode;
  const readOrgIdx = parties.readOrgIdx;
  const items = writes
    .filter((w) => w.org !== readOrgIdx)
    .slice(0, flags.readRecords)
    .map((w) => ({ record: w.record, version: w.version, p: w.p }));
  if (items.length === 0) fail("no record written by another organisation than the readers' to read");
  const readers = parties.readerWallets.map((w) => ({ wallet: w.export(), org: parties.adminJson[readOrgIdx] }));
  const procs = await Promise.all(Array.from({ length: flags.readProcs }, () => startLoadProc(track, flags.webHpke)));
  const spec: LoopSpec = { net, procs, readNode, readers, items };
  // wait until every read-phase record's blobs had a chance to reach the read node in the background
  await sleep(500);
  log(`[records] read: ${flags.readers} concurrent readers on node ${readNode} (${items.length} records, ${flags.readProcs} client process(es)), ${flags.readWarmS} s warm-up + ${flags.readS} s…`);
  const reads = await runLoop(spec, 'read', flags.readS, flags.readWarmS, flags.readers);
  log(`[records] read: ${reads.ops_per_s} reads/s, p50 ${reads.latency_ms.p50} ms, p99 ${reads.latency_ms.p99} ms, errors ${JSON.stringify(reads.errors)}; node CPU ${JSON.stringify(reads.node_cpu_cores)}, client CPU ${reads.client_cpu_cores}`);
  const single = await runLoop(spec, 'read', flags.ceilingS, 0.5, 1);
  log(`[records] read, 1 reader (no queueing): ${single.ops_per_s} reads/s, p50 ${single.latency_ms.p50} ms, p99 ${single.latency_ms.p99} ms`);
  log(`[records] read, node part only (the signed GET without the client's unwrap/decrypt), ${flags.ceilingS} s…`);
  const readsNode = await runLoop(spec, 'read_node', flags.ceilingS, 1, flags.readers);
  log(`[records] read, node part: ${readsNode.ops_per_s} reads/s, p50 ${readsNode.latency_ms.p50} ms, p99 ${readsNode.latency_ms.p99} ms, errors ${JSON.stringify(readsNode.errors)}; node CPU ${JSON.stringify(readsNode.node_cpu_cores)}, client CPU ${readsNode.client_cpu_cores}`);
  log(`[records] ceiling: GET /v1/status closed loop, ${flags.ceilingS} s…`);
  const status = await runLoop(spec, 'status', flags.ceilingS, 1, flags.readers);
  log(`[records] ceiling: ${status.ops_per_s} status/s, p50 ${status.latency_ms.p50} ms`);
  const meta = await runLoop(spec, 'meta', flags.ceilingS, 1, flags.readers);
  log(`[records] ceiling: ${meta.ops_per_s} metadata GET/s, p50 ${meta.latency_ms.p50} ms`);
  let loadProcCpuS = 0;
  for (const p of procs) {
    loadProcCpuS += procCpuS(p.pid);
    p.disconnect();
  }

  // every read served must reach the ledger: wait for the read node's disclosure queue to drain
  const servedReads = [reads, single, readsNode].reduce((a, x) => a + x.ok_total_including_warmup + x.served_but_refused_by_client, 0);
  const pWallet = parties.patientWallets;
  const of = (p: number, node: number) => disclosuresOf(parties.clients[node]!, net.nodesInit[node]!.nodeId, pWallet[p]!);
  const tDrain = now();
  let pending = -1;
  while (now() - tDrain < 30_000) {
    pending = (await of(0, readNode)).pending;
    if (pending === 0) break;
    await sleep(100);
  }
  const drainMs = now() - tDrain;
  // the other nodes must have indexed the same height before counting there (count on the read node)
  const readPatients = [...new Set(items.map((it) => it.p))];
  const counts = { 'read:grant': 0, 'read:patient': 0, other: 0 };
  const entriesPer: number[] = [];
  for (let p = 0; p < pWallet.length; p++) {
    const { entries } = await of(p, readNode);
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
    for (let p = 0; p < pWallet.length; p++) otherGrant += (await of(p, otherNode)).entries.filter((e) => e.kind === 'read:grant').length;
    if (otherGrant === counts['read:grant']) break;
  }
  // the SDK's own accounting call, for comparison with the paged count above
  const sdkDisclosures = await parties.rc(pWallet[0]!, readNode).disclosures({ verify: false });
  const cpuMsPer = (r: LoopResult): number => round(((r.node_cpu_cores?.[readNode] ?? NaN) * 1000) / r.ops_per_s, 3);
  const phase: ReadPhase = {
    read: reads,
    read_single_reader: single,
    read_node_part_only: readsNode,
    client_crypto_cpu_ms: clientCrypto,
    ceiling_status: status,
    ceiling_metadata: meta,
    ratio_reads_to_status: round(reads.ops_per_s / status.ops_per_s, 3),
    ratio_reads_to_metadata: round(reads.ops_per_s / meta.ops_per_s, 3),
    ratio_node_part_reads_to_status: round(readsNode.ops_per_s / status.ops_per_s, 3),
    node_cpu_ms_per_read: {
      sdk_read: cpuMsPer(reads),
      node_part_only: cpuMsPer(readsNode),
      status: cpuMsPer(status),
      note: 'CPU of the read node (/proc/<pid>/stat) over the measured window ÷ operations; the other nodes also work for every read (they execute and index its disclosure): see node_cpu_cores',
    },
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
  return { phase, loadProcCpuS };
}
