// Every served read must reach the ledger: the patients' accountings of disclosures, paged.
import type { SalusClient, Wallet } from '@salus/client';
import { CHAIN_ID } from '../lib/genesis.js';

export interface DisclosureRow {
  height: number;
  index: number;
  seq: number;
  kind: string;
}
interface DisclosurePage {
  entries: DisclosureRow[];
  pending: number;
  indexedHeight: number;
}

/** Patient `patient`'s accounting of disclosures through `client` (node `nodeId`), every page of 10,000. */
export async function disclosuresOf(client: SalusClient, nodeId: string, patient: Wallet): Promise<{ entries: DisclosureRow[]; pending: number; indexedHeight: number }> {
  const all = new Map<string, DisclosureRow>();
  let from = 0;
  let last: DisclosurePage | undefined;
  for (;;) {
    const path = `/v1/records/patients/${patient.patientId}/disclosures?fromHeight=${from}&limit=10000`;
    const authorization = patient.authorization(CHAIN_ID, { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud: nodeId });
    const r = await client.request<DisclosurePage>('GET', path, { headers: { authorization } });
    last = r;
    for (const e of r.entries) all.set(`${e.height}:${e.index}:${e.seq}`, e);
    if (r.entries.length < 10000) break;
    const h = r.entries[r.entries.length - 1]!.height;
    from = h > from ? h : from + 1;
  }
  return { entries: [...all.values()], pending: last.pending, indexedHeight: last.indexedHeight };
}
