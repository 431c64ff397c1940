// The consent phase: --rounds rounds on one patient: a practitioner of organisation A writes a fresh
// record; the patient grants organisation B read on it (grant transaction, then the SDK's
// syncEnvelopes re-wraps the data key for B: RecordsClient.grant's steps, split to time the commit);
// pollers read it as a practitioner of B through all 4 nodes every --poll-ms. Grant: submit start →
// first response that is not CONSENT_REQUIRED (consent effective) and → first successful read, on each
// node. Then the patient revokes (client.send waits for the commit): submit start, and commit
// receipt, → first CONSENT_REQUIRED on each node. Median and max over rounds of the slowest node;
// reads served by the submitting node after the revoke's receipt (must be 0).
import { toHex } from '@salus/core';
import { errCode, log, messageOf } from '../lib/cli.js';
import type { FastLocalnet } from '../lib/localnet.js';
import { sleep } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { pollNode } from './consent-poll.js';
import { fhirDoc } from './fhir-doc.js';
import type { RecordsFlags } from './flags.js';
import type { Parties } from './parties.js';
import { fmtMax, mergeCounts, now, waitFor } from './util.js';

type Ms = number | null;
export interface ConsentRound {
  round: number;
  submit_node: number;
  grant?: { commit_receipt_ms: number; sdk_grant_done_ms: number; rewrapped: number; consent_effective_from_submit_ms: Ms[]; first_read_from_submit_ms: Ms[]; first_read_from_grant_commit_ms: Ms[]; errors_seen: Record<string, number> };
  revoke?: { commit_receipt_ms: number; refused_from_submit_ms: Ms[]; refused_from_commit_receipt_ms: Ms[]; reads_served_started_after_receipt: number[]; reads_served_after_first_refusal: number[]; errors_seen: Record<string, number> };
  failure?: string;
}
type Agg = { median: number; max: number; n: number };
export interface ConsentPhase {
  rounds_run: number;
  rounds_complete: number;
  poll_ms: number;
  resolution_note: string;
  grant: { how: string; commit_receipt_ms: Agg; consent_effective_all_4_from_submit_ms: Agg; first_read_all_4_from_submit_ms: Agg; first_read_all_4_from_grant_commit_ms: Agg; first_read_by_node_median_from_submit_ms: number[] };
  revoke: { how: string; commit_receipt_ms: Agg; refused_all_4_from_submit_ms: Agg; refused_all_4_from_commit_receipt_ms: Agg; refused_by_node_median_from_submit_ms: number[]; reads_served_by_submit_node_after_receipt: number; reads_served_by_other_nodes_after_receipt: number; reads_served_after_a_nodes_first_refusal: number };
  rounds: ConsentRound[] | string;
}

const ms = (t: number | null, from: number): Ms => (t === null ? null : round(t - from, 1));

export async function consentPhase(net: FastLocalnet, parties: Parties, flags: RecordsFlags): Promise<ConsentPhase> {
  const { url, getJson, orgs } = net;
  log(`[records] consent: ${flags.rounds} rounds of grant → read and revoke → refusal on all 4 nodes (poll every ${flags.pollMs} ms)…`);
  const author = parties.rc(parties.authorA, parties.consentA, parties.consentA);
  const bOn = [0, 1, 2, 3].map((j) => parties.rc(parties.readerB, j, parties.consentB));
  const qOn = [0, 1, 2, 3].map((j) => parties.rc(parties.patientQ, j));
  const qid = parties.patientQ.patientId;
  const rounds: ConsentRound[] = [];
  const timeoutMs = flags.roundTimeoutS * 1000;
  for (let r = 0; r < flags.rounds; r++) {
    const sub = r % 4; // the node the patient submits through
    const round_: ConsentRound = { round: r, submit_node: sub };
    try {
      const { record } = await author.write(qid, fhirDoc(flags.docBytes, `consent-${r}`));
      // the record is known to every node before the clock starts (a NOT_FOUND for the record would look like consent)
      await Promise.all([0, 1, 2, 3].map((j) => waitFor(() => getJson(`${url(j)}/v1/records/${record}`).then(() => true, () => false), timeoutMs, `record on node ${j}`)));
      // the pollers as B before the grant: CONSENT_REQUIRED until the grant commits there; then NOT_FOUND (no envelope for B yet) until add_envelopes commits; then the read
      const id = `c-${r}-${toHex(crypto.getRandomValues(new Uint8Array(4)))}`;
      const gPoll = [0, 1, 2, 3].map((j) => pollNode(bOn[j]!, record, 'grant', timeoutMs, flags.pollMs));
      const tG0 = now();
      const qc = qOn[sub]!;
      const payload = { patient: qid, id, grantee: { org: orgs[parties.consentB]! }, scope: { records: [record] }, actions: ['read'], purposes: ['treatment'], until: null };
      await qc.client.send(qc.wallet, 'records', 'grant', payload);
      const tG1 = now();
      const rewrapped = await qc.syncEnvelopes(qid);
      const tG2 = now();
      const g = await Promise.all(gPoll.map((p) => p.done));
      round_.grant = {
        commit_receipt_ms: round(tG1 - tG0, 1),
        sdk_grant_done_ms: round(tG2 - tG0, 1),
        rewrapped,
        consent_effective_from_submit_ms: g.map((x) => ms(x.tFirstNonConsent, tG0)),
        first_read_from_submit_ms: g.map((x) => ms(x.tSuccess, tG0)),
        first_read_from_grant_commit_ms: g.map((x) => ms(x.tSuccess, tG1)),
        errors_seen: mergeCounts(g.map((x) => x.errors)),
      };
      await sleep(100);
      const rPoll = [0, 1, 2, 3].map((j) => pollNode(bOn[j]!, record, 'revoke', timeoutMs, flags.pollMs));
      const tR0 = now();
      await qc.revoke(id);
      const tR1 = now();
      for (const p of rPoll) p.receiptAt = tR1;
      const v = await Promise.all(rPoll.map((p) => p.done));
      round_.revoke = {
        commit_receipt_ms: round(tR1 - tR0, 1),
        refused_from_submit_ms: v.map((x) => ms(x.tRefused, tR0)),
        refused_from_commit_receipt_ms: v.map((x) => ms(x.tRefused, tR1)),
        reads_served_started_after_receipt: v.map((x) => x.servedAfterReceipt),
        reads_served_after_first_refusal: v.map((x) => x.servedAfterRefusal),
        errors_seen: mergeCounts(v.map((x) => x.errors)),
      };
      log(`[records] consent round ${r}: grant → read on all 4 ${fmtMax(round_.grant.first_read_from_submit_ms)} ms (commit ${round_.grant.commit_receipt_ms} ms); revoke → refused on all 4 ${fmtMax(round_.revoke.refused_from_submit_ms)} ms from submit, ${fmtMax(round_.revoke.refused_from_commit_receipt_ms)} ms from receipt`);
    } catch (e) {
      round_.failure = `${errCode(e)}: ${messageOf(e)}`;
      log(`[records] consent round ${r} failed: ${round_.failure}`);
    }
    rounds.push(round_);
  }
  const ok = rounds.filter((x) => !x.failure && x.grant!.first_read_from_submit_ms.every((t) => t !== null) && x.revoke!.refused_from_submit_ms.every((t) => t !== null)) as (ConsentRound & Required<Pick<ConsentRound, 'grant' | 'revoke'>>)[];
  const worst = (arr: readonly Ms[]): number => Math.max(...arr.map((x) => x ?? NaN));
  const agg = (f: (x: (typeof ok)[number]) => number): Agg => {
    const xs = ok.map(f);
    return { median: round(median(xs), 1), max: round(Math.max(...xs), 1), n: xs.length };
  };
  const perNode = (f: (x: (typeof ok)[number]) => Ms[]): number[] => [0, 1, 2, 3].map((j) => round(median(ok.map((x) => f(x)[j] ?? NaN)), 1));
  const C: ConsentPhase = {
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
      reads_served_by_submit_node_after_receipt: ok.reduce((a, x) => a + x.revoke.reads_served_started_after_receipt[x.submit_node]!, 0),
      reads_served_by_other_nodes_after_receipt: ok.reduce((a, x) => a + x.revoke.reads_served_started_after_receipt.reduce((s, n, j) => s + (j === x.submit_node ? 0 : n), 0), 0),
      reads_served_after_a_nodes_first_refusal: ok.reduce((a, x) => a + x.revoke.reads_served_after_first_refusal.reduce((s, n) => s + n, 0), 0),
    },
    rounds,
  };
  log(`[records] consent: grant → read on all 4 median ${C.grant.first_read_all_4_from_submit_ms.median} max ${C.grant.first_read_all_4_from_submit_ms.max} ms; revoke → refused on all 4 median ${C.revoke.refused_all_4_from_submit_ms.median} max ${C.revoke.refused_all_4_from_submit_ms.max} ms (from receipt: median ${C.revoke.refused_all_4_from_commit_receipt_ms.median})`);
  return C;
}
