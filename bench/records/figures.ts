// The records benchmark's figures against their targets.
import type { Figures } from '../lib/results.js';
import type { ConsentPhase } from './consent-phase.js';
import type { RecordsFlags } from './flags.js';
import type { ReadPhase } from './read-phase.js';
import type { WritePhase } from './write-phase.js';

const le = (x: number | null, target: number): boolean => x !== null && x <= target;

export function recordsFigures(flags: RecordsFlags, W: WritePhase, R: ReadPhase, C: ConsentPhase, docJsonBytes: number): Figures {
  const fig: Figures = {};
  const rd = R.read;
  fig.read_p50 = { figure: `read of a granted record, node ${flags.readNode}, ${flags.readers} concurrent readers: p50 latency`, target: `<= ${flags.targetReadP50Ms} ms`, measured: rd.latency_ms.p50, met: le(rd.latency_ms.p50, flags.targetReadP50Ms) };
  fig.read_p99 = { figure: 'read: p99 latency', target: `<= ${flags.targetReadP99Ms} ms`, measured: rd.latency_ms.p99, met: le(rd.latency_ms.p99, flags.targetReadP99Ms) };
  fig.read_rate = { figure: 'read: reads/s on one node', target: `>= ${flags.targetReadsPerS}`, measured: rd.ops_per_s, met: rd.ops_per_s >= flags.targetReadsPerS };
  const rn = R.read_node_part_only;
  fig.read_node_p50 = { figure: 'read, node part only (signed GET, no client unwrap/decrypt): p50 latency', target: `<= ${flags.targetReadP50Ms} ms`, measured: rn.latency_ms.p50, met: le(rn.latency_ms.p50, flags.targetReadP50Ms) };
  fig.read_node_p99 = { figure: 'read, node part only: p99 latency', target: `<= ${flags.targetReadP99Ms} ms`, measured: rn.latency_ms.p99, met: le(rn.latency_ms.p99, flags.targetReadP99Ms) };
  fig.read_node_rate = { figure: 'read, node part only: reads/s on one node', target: `>= ${flags.targetReadsPerS}`, measured: rn.ops_per_s, met: rn.ops_per_s >= flags.targetReadsPerS };
  fig.read_single = { figure: 'read with 1 reader (no queueing): p50 / p99 latency', target: null, measured: { p50_ms: R.read_single_reader.latency_ms.p50, p99_ms: R.read_single_reader.latency_ms.p99, reads_per_s: R.read_single_reader.ops_per_s }, met: null };
  fig.read_vs_ceiling = { figure: 'reads/s ÷ GET /v1/status per s (same node, client, concurrency)', target: null, measured: R.ratio_reads_to_status, reference: { status_per_s: R.ceiling_status.ops_per_s, metadata_per_s: R.ceiling_metadata.ops_per_s, ratio_to_metadata: R.ratio_reads_to_metadata, node_part_reads_to_status: R.ratio_node_part_reads_to_status }, met: null };
  fig.reads_logged = { figure: 'every served read committed as a disclosure', target: 'read:grant disclosures = reads served, queue empty', measured: { served: R.disclosures.reads_served_by_read_node_incl_warmup, committed: R.disclosures.read_grant_entries_committed, pending: R.disclosures.queue_pending_after_drain }, met: R.disclosures.all_served_reads_logged };
  fig.write_rate = { figure: `write of a ${docJsonBytes} B FHIR resource, ${flags.writers} writers over 4 nodes: writes/s`, target: null, measured: { total: W.writes_per_s_total, by_node: W.writes_per_s_by_node }, met: null };
  fig.write_latency = { figure: 'write: SDK call start → committed receipt', target: null, measured: { p50_ms: W.write_latency_ms.p50, p99_ms: W.write_latency_ms.p99 }, met: null };
  const repl = W.replication;
  fig.replication = { figure: 'write: receipt → readable through all 4 nodes', target: null, measured: { p50_ms: repl.readable_on_all_4_after_receipt_ms.p50, p99_ms: repl.readable_on_all_4_after_receipt_ms.p99, from_write_start_p50_ms: repl.readable_on_all_4_from_write_start_ms.p50, from_write_start_p99_ms: repl.readable_on_all_4_from_write_start_ms.p99 }, met: null };
  fig.revoke = { figure: 'revoke: submit → refused (CONSENT_REQUIRED) on all 4 nodes', target: null, measured: { median_ms: C.revoke.refused_all_4_from_submit_ms.median, max_ms: C.revoke.refused_all_4_from_submit_ms.max, from_commit_receipt_median_ms: C.revoke.refused_all_4_from_commit_receipt_ms.median, from_commit_receipt_max_ms: C.revoke.refused_all_4_from_commit_receipt_ms.max }, met: null };
  fig.grant = { figure: 'grant: submit → first successful read on all 4 nodes (incl. the re-wrap for the grantee)', target: null, measured: { median_ms: C.grant.first_read_all_4_from_submit_ms.median, max_ms: C.grant.first_read_all_4_from_submit_ms.max, consent_effective_median_ms: C.grant.consent_effective_all_4_from_submit_ms.median }, met: null };
  const unsafeReads = C.revoke.reads_served_by_submit_node_after_receipt + C.revoke.reads_served_after_a_nodes_first_refusal;
  fig.revoke_safe = { figure: 'no read served by the submitting node after the revoke receipt, none after a refusal', target: '0', measured: unsafeReads, met: C.revoke.reads_served_by_submit_node_after_receipt === 0 && C.revoke.reads_served_after_a_nodes_first_refusal === 0 && C.rounds_complete === C.rounds_run };
  return fig;
}
