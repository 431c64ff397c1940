// The write phase: --writers practitioners (writer k: organisation k mod 4, using the API of node
// k mod 4), each a closed loop of RecordsClient.write of a ~--doc-bytes FHIR Observation for the
// write-phase patients, for --write-s seconds. One write = recipients lookup, HPKE encrypt, PUT of
// the content blob and of every envelope blob, then the write transaction with wait=commit (latency:
// SDK call start → committed receipt). Writes/s = writes committed in the window ÷ its length.
import type { SalusClient } from '@salus/client';
import { errCode, log, messageOf } from '../lib/cli.js';
import type { FastLocalnet } from '../lib/localnet.js';
import { sleep } from '../lib/processes.js';
import { latencyStats, round, type LatencyStats } from '../lib/stats.js';
import { fhirDoc } from './fhir-doc.js';
import type { RecordsFlags } from './flags.js';
import type { Parties } from './parties.js';
import { probeReplication, type RecordMeta, type Write } from './replication.js';
import { countInto, now } from './util.js';

export interface WritePhase {
  writers: number;
  writers_per_node: number[];
  window_s: number;
  writes_committed_in_window: number;
  writes_per_s_total: number;
  writes_per_s_by_node: number[];
  write_latency_ms: LatencyStats;
  ciphertext_bytes: number | undefined;
  envelopes_per_write: number | undefined;
  http_requests_per_write: string | null;
  replication: {
    method: string;
    writes_probed: number;
    readable_on_all_4: number;
    probe_failures: number;
    committed_on_all_4_after_receipt_ms: LatencyStats;
    readable_on_all_4_after_receipt_ms: LatencyStats;
    readable_on_all_4_from_write_start_ms: LatencyStats;
    probe_read_errors_before_success: Record<string, number>;
    successful_probe_read_duration_ms: LatencyStats;
    repl_poll_ms: number;
  };
  errors: Record<string, number>;
  node_cpu_cores: number[];
}

const maxOf = (xs: readonly (number | null)[]): number => Math.max(...xs.map((x) => x ?? NaN));

export async function writePhase(net: FastLocalnet, parties: Parties, flags: RecordsFlags, docJsonBytes: number): Promise<{ phase: WritePhase; writes: Write[] }> {
  const { url, getJson, nodeCpu, nodesInit } = net;
  const { pids } = parties;
  log(`[records] write: ${flags.writers} writers × closed loop for ${flags.writeS} s (${docJsonBytes} B FHIR JSON each)…`);
  const writers = parties.writerWallets.map((w, k) => ({ k, node: k % 4, org: k % 4, c: parties.rc(w, k % 4, k % 4) }));
  // warm-up outside the window: every writer opens every patient's keyring once (tag key cached)
  await Promise.all(writers.map(async (wr) => Promise.all(pids.map((p) => wr.c.tagKey(p)))));
  const writes: Write[] = [];
  const errors: Record<string, number> = {};
  const probes: Promise<unknown>[] = [];
  let ctSize: number | undefined;
  let envelopesPerWrite: number | undefined;
  const replDeps = { getJson, url, clients: parties.clients as readonly SalusClient[], nodeIds: nodesInit.map((n) => n.nodeId), patientWallets: parties.patientWallets, pollMs: flags.replPollMs };
  const cpu0 = nodeCpu();
  const tStart = now();
  const tStop = tStart + flags.writeS * 1000;
  let seq = 0;
  await Promise.all(
    writers.map(async (wr) => {
      let n = 0;
      while (now() < tStop) {
        const p = (wr.k + n++) % pids.length;
        const doc = fhirDoc(flags.docBytes, `w${wr.k}-${seq++}`);
        const t0 = now();
        try {
          const r = await wr.c.write(pids[p]!, doc);
          const t1 = now();
          const w: Write = { k: wr.k, node: wr.node, org: wr.org, p, t0, t1, record: r.record, version: r.version, height: r.receipt.height, probeErrors: {} };
          writes.push(w);
          if (ctSize === undefined || envelopesPerWrite === undefined) {
            const meta = await parties.clients[wr.node]!.request<RecordMeta>('GET', `/v1/records/${r.record}`);
            ctSize = meta.versions[0]!.size;
            envelopesPerWrite = meta.versions[0]!.envelopes.length;
          }
          probes.push(probeReplication(replDeps, w).catch((e: unknown) => (w.probeFailure = messageOf(e))));
        } catch (e) {
          countInto(errors, errCode(e));
          if (Object.values(errors).reduce((a, b) => a + b, 0) <= 5) log(`[records] write failed: ${errCode(e)} ${messageOf(e)}`);
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
  const replAfterCommit = complete.map((w) => maxOf(w.repl!.map((x) => x.tRead)) - w.t1);
  const replFromStart = complete.map((w) => maxOf(w.repl!.map((x) => x.tRead)) - w.t0);
  const commitAllAfter = committedAll.map((w) => maxOf(w.repl!.map((x) => x.tMeta)) - w.t1);
  const probeErrs: Record<string, number> = {};
  for (const w of writes) for (const [c, n] of Object.entries(w.probeErrors)) countInto(probeErrs, c, n);
  const winS = flags.writeS;
  const phase: WritePhase = {
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
      method:
        'per other node: GET /v1/records/<rec> every repl_poll_ms until the version (with the same content hash) is there, then the patient-signed GET /v1/records/<rec>/versions/<v> through that node every repl_poll_ms until it serves bytes hashing to the content hash (not decrypted here; a node lacking the blob fetches it from peers during that read)',
      writes_probed: writes.length,
      readable_on_all_4: complete.length,
      probe_failures: writes.filter((w) => w.probeFailure || !w.repl || w.repl.some((x) => x.tRead === null)).length,
      committed_on_all_4_after_receipt_ms: latencyStats(commitAllAfter),
      readable_on_all_4_after_receipt_ms: latencyStats(replAfterCommit),
      readable_on_all_4_from_write_start_ms: latencyStats(replFromStart),
      probe_read_errors_before_success: probeErrs,
      successful_probe_read_duration_ms: latencyStats(complete.flatMap((w) => w.repl!.map((x) => x.lastReadMs ?? NaN))),
      repl_poll_ms: flags.replPollMs,
    },
    errors,
    node_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]!) / ((tDone - tStart) / 1000), 2)),
  };
  const W = phase;
  log(`[records] write: ${W.writes_per_s_total} writes/s (by node ${W.writes_per_s_by_node.join('/')}), latency p50 ${W.write_latency_ms.p50} p99 ${W.write_latency_ms.p99} ms; readable on all 4 after receipt p50 ${W.replication.readable_on_all_4_after_receipt_ms.p50} p99 ${W.replication.readable_on_all_4_after_receipt_ms.p99} ms; errors ${JSON.stringify(errors)}`);
  return { phase, writes };
}
