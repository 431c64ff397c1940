import { SalusError, decodeTx, fromHex } from '@salus/core';
import type { GrantState, RecordsIndexReader, RecordsReader } from '@salus/records';
import type { Served } from './directory.js';
import type { BlockReader, KV } from '@salus/module';

/**
 * FHIR views of ledger facts about a patient (ADR 0006): each on-chain grant as a Consent, and the
 * accounting of disclosures as AuditEvents. They are facts, not records: reading them discloses
 * nothing new, and they change only through the records module's transactions.
 */
const SALUS = 'https://salus.health/fhir';

export function consents(records: RecordsReader, kv: KV, patient: string): Served[] {
  return records.grants(kv, patient).map((g) => consent(patient, g));
}

function consent(patient: string, g: GrantState): Served {
  const actor = 'org' in g.grantee ? { reference: `Organization/${g.grantee.org}` } : { identifier: { system: 'urn:salus:signing-key', value: g.grantee.key } };
  const data = 'records' in g.scope ? g.scope.records.map((r) => ({ meaning: 'instance', reference: { reference: r } })) : undefined;
  return {
    resourceType: 'Consent',
    id: `${patient}.${g.id}`,
    status: g.status === 'active' ? 'active' : 'inactive',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${patient}` },
    policyRule: { coding: [{ system: `${SALUS}/CodeSystem/grant-scope`, code: 'all' in g.scope ? 'all' : 'tags' in g.scope ? 'by-type-or-code' : 'named-records' }] },
    provision: {
      type: 'permit',
      ...(g.until !== null ? { period: { end: new Date(g.until).toISOString() } } : {}),
      actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: actor }],
      action: g.actions.map((a) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: a === 'read' ? 'access' : 'correct' }] })),
      purpose: g.purposes.map((p) => ({ system: `${SALUS}/CodeSystem/purpose`, code: p })),
      ...(data ? { data } : {}),
    },
    extension: [{ url: `${SALUS}/StructureDefinition/granted-at-height`, valueUnsignedInt: g.since }],
  };
}

const SUBTYPE: Record<string, string> = { write: 'create', add_envelopes: 'update', grant: 'create', revoke: 'delete', break_glass: 'read', erase: 'delete', set_keyring: 'update' };

/** The patient's accounting (records index) as AuditEvents, newest last; reads name the reader, purpose and basis. */
export function auditEvents(index: RecordsIndexReader, blocks: BlockReader, patient: string, limit: number): Served[] {
  if (limit < 1 || limit > 1000) throw new SalusError('INVALID_FIELD', '_count must be 1-1000');
  const out: Served[] = [];
  const txCache = new Map<string, { signer: string; payload: Record<string, unknown>; time: number }>();
  for (const row of index.logOf(patient, { height: -1, index: 0, seq: 0 }, limit)) {
    let tx = txCache.get(row.tx);
    if (!tx) {
      const loc = blocks.findTx(fromHex(row.tx, 32));
      if (!loc) continue;
      const t = decodeTx(blocks.getTx(loc.height, loc.index)!.tx);
      tx = { signer: Buffer.from(t.signer).toString('hex'), payload: t.payload as Record<string, unknown>, time: blocks.requireBlock(loc.height).header.time };
      txCache.set(row.tx, tx);
    }
    const read = row.kind.startsWith('read:');
    const entry = read ? ((tx.payload.entries as unknown[][])[row.seq] ?? []) : [];
    const who = read ? Buffer.from(entry[3] as Uint8Array).toString('hex') : tx.signer;
    out.push({
      resourceType: 'AuditEvent',
      id: `${row.height}.${row.index}.${row.seq}`,
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: read ? 'read' : (SUBTYPE[row.kind] ?? 'update') }, { system: `${SALUS}/CodeSystem/records-transaction`, code: row.kind }],
      action: read ? 'R' : row.kind === 'erase' || row.kind === 'revoke' ? 'D' : 'C',
      recorded: new Date(tx.time).toISOString(),
      outcome: '0',
      ...(read ? { purposeOfEvent: [{ coding: [{ system: `${SALUS}/CodeSystem/purpose`, code: String(entry[4]) }] }] } : {}),
      agent: [
        { requestor: true, who: { identifier: { system: 'urn:salus:signing-key', value: who } }, ...(read ? { policy: [`${SALUS}/basis/${String(entry[8])}`] } : {}) },
        ...(read ? [{ requestor: false, type: { text: 'serving node' }, who: { identifier: { system: 'urn:salus:node', value: tx.signer } } }] : []),
      ],
      source: { observer: { identifier: { system: 'urn:salus:transaction', value: row.tx } } },
      entity: [
        { what: { reference: `Patient/${patient}` }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' } },
        ...(read ? [{ what: { identifier: { system: 'urn:salus:record', value: `${String(entry[1])}/${String(entry[2])}` } } }] : []),
      ],
      extension: [{ url: `${SALUS}/StructureDefinition/ledger-height`, valueUnsignedInt: row.height }],
    });
  }
  return out;
}

