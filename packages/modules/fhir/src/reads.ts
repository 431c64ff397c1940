import { randomBytes } from 'node:crypto';
import { SalusError } from '@salus/core';
import { type Purpose } from '@salus/client';
import { PATIENT_ID, RECORD_ID } from '@salus/records';
import type { FhirCaller } from './auth.js';
import { directory, organization, practitioner, type Served } from './directory.js';
import { auditEvents, consents } from './ledger-views.js';
import { served, type Loaded } from './resources.js';
import { CLINICAL_PARAMS, matches, order, parseCriteria } from './search.js';
import type { FhirDeps } from './server.js';
import { DELETED_TAG } from './writes.js';

/**
 * The FHIR facade's reads (ADR 0006): one resource, a search, and their disclosures. Every
 * resource that leaves is on the node's durable disclosure queue first; the resources of one
 * answer (a search page, a history) share one synced write.
 */

export const isDeleted = (r: Record<string, unknown>) => ((r.meta as { tag?: { system?: string; code?: string }[] } | undefined)?.tag ?? []).some((t) => t.system === DELETED_TAG.system && t.code === DELETED_TAG.code);

export const latestOf = (d: FhirDeps, record: string): number => {
  const latest = d.records.latestVersion(d.view(), record);
  if (latest === undefined) throw new SalusError('NOT_FOUND', `no resource ${record}`);
  return latest;
};

export const purposeOf = (c: FhirCaller): Purpose => (c.kind === 'patient' ? 'patient-request' : 'treatment');

const isLoaded = (r: Served | Loaded): r is Loaded => 'ver' in r && 'record' in r && 'basis' in r;

/** A directory resource as it is, a decrypted version in its served form. */
export const asResource = (r: Served | Loaded): Served => (isLoaded(r) ? served(r) : r);

export async function readOne(d: FhirDeps, caller: FhirCaller, type: string, id: string, version?: number): Promise<Served | Loaded> {
  if (type === 'Organization') return organization(d.view(), id);
  if (type === 'Practitioner') return practitioner(d.view(), id);
  return readClinical(d, caller, type, await resolveRecord(d, type, id), version);
}

/** A Patient's FHIR id is the patient's pseudonym (what references name); other resources' ids are record ids. */
export async function resolveRecord(d: FhirDeps, type: string, id: string): Promise<string> {
  if (type !== 'Patient') return id;
  if (!PATIENT_ID.test(id)) throw new SalusError('NOT_FOUND', `no Patient ${id}`);
  const record = (await d.resources.ids('Patient', id))[0];
  if (!record) throw new SalusError('NOT_FOUND', `no Patient ${id} this organisation may read`);
  return record;
}

/** Reads one version (the latest without `version`), checks type and compartment, and records the disclosure. */
export async function readClinical(d: FhirDeps, caller: FhirCaller, type: string, record: string, version?: number): Promise<Loaded> {
  if (!RECORD_ID.test(record)) throw new SalusError('NOT_FOUND', `no ${type} ${record}`);
  const kv = d.view();
  const latest = d.records.latestVersion(kv, record);
  if (latest === undefined) throw new SalusError('NOT_FOUND', `no ${type} ${record}`);
  const loaded = await d.resources.load(record, version ?? latest, purposeOf(caller));
  if (loaded.resource.resourceType !== type) throw new SalusError('NOT_FOUND', `no ${type} ${record}`);
  if (isDeleted(loaded.resource)) throw new SalusError('GONE', `${type}/${record} was deleted at version ${loaded.version}`);
  if (caller.kind === 'patient' && loaded.patient !== caller.patient) throw new SalusError('NOT_FOUND', `no ${type} ${record} in this patient's compartment`);
  await disclose(d, caller, [loaded]);
  return loaded;
}

/** Queues the disclosures of the versions served in one answer; resolves once they are on disk. */
export async function disclose(d: FhirDeps, caller: FhirCaller, ls: readonly Loaded[]): Promise<void> {
  if (ls.length === 0) return;
  // the token's id names the read; a bearer token carries no request signature (ADR 0006)
  const token = caller.tokenId.replace(/-/g, '').toLowerCase();
  const nonce = /^(?:[0-9a-f]{2}){8,32}$/.test(token) ? token : randomBytes(16).toString('hex');
  const at = d.clock.now();
  const purpose = purposeOf(caller);
  await d.records.disclosures.recordAll(ls.map((l) => ({ patient: l.patient, record: l.record, version: l.version, reader: caller.clientKey, purpose, at, nonce, sig: '', basis: l.basis })));
}

export function one(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new SalusError('INVALID_FIELD', `search parameter ${name} must be given once`);
}

export interface SearchResult {
  readonly entries: Served[];
  readonly total: number;
  readonly included: Served[];
  readonly ignored: string[];
  readonly next?: string;
}

/**
 * A type search. Candidates come from the in-memory index (by type, and patient when given), are
 * matched on their decrypted copies, and only matches are checked for consent at the current
 * height; only the page returned is disclosed.
 */
export async function search(d: FhirDeps, caller: FhirCaller, type: string, q: Record<string, unknown>, strict = true, self = ''): Promise<SearchResult> {
  const kv = d.view();
  const plain = (rs: Served[]): SearchResult => ({ entries: rs, total: rs.length, included: [], ignored: [] });
  if (type === 'Organization' || type === 'Practitioner' || type === 'Consent' || type === 'AuditEvent') {
    const { criteria: c } = parseCriteria(q, ['_id', 'name', 'patient', '_count'], strict);
    if (type === 'Organization' || type === 'Practitioner') return plain(directory(kv, type, one(q, '_id'), one(q, 'name')).slice(0, c.count));
    const p = (one(q, 'patient') ?? '').replace(/^Patient\//, '');
    if (!PATIENT_ID.test(p)) throw new SalusError('INVALID_FIELD', `search ${type} by patient=Patient/<pat-…>`);
    if (caller.kind === 'patient' && p !== caller.patient) throw new SalusError('FORBIDDEN', "a patient's token sees only the patient's own consents and accounting");
    if (type === 'AuditEvent' && caller.kind !== 'patient') throw new SalusError('FORBIDDEN', "the accounting of disclosures is the patient's: use a patient token");
    return plain(type === 'Consent' ? consents(d.records, kv, p).slice(0, c.count) : auditEvents(d.records.index, d.blocks, p, Math.max(c.count, 1)));
  }
  const { criteria: c, ignored } = parseCriteria(q, CLINICAL_PARAMS, strict);
  let patient = (one(q, 'patient') ?? one(q, 'subject'))?.replace(/^Patient\//, '');
  if (patient !== undefined && !PATIENT_ID.test(patient)) throw new SalusError('INVALID_FIELD', 'patient must be Patient/<pat-…> or <pat-…>');
  if (caller.kind === 'patient') {
    if (patient !== undefined && patient !== caller.patient) return plain([]);
    patient = caller.patient!;
  }
  const found = await d.resources.find(type, patient, purposeOf(caller), (r) => !isDeleted(r) && matches(r, c));
  const loadedOf = new Map<Served, Loaded>(found.map((f) => [f.served, f.loaded]));
  const ordered = order(found.map((f) => f.served), c);
  if (c.summaryCount) return { entries: [], total: ordered.length, included: [], ignored };
  const page = ordered.slice(c.offset, c.offset + c.count);
  await disclose(d, caller, page.map((s) => loadedOf.get(s)!));
  const included: Served[] = [];
  if (c.includePatient) {
    for (const p of new Set(page.map((s) => loadedOf.get(s)!.patient))) {
      const r = await readOne(d, caller, 'Patient', p).catch(() => undefined);
      if (r) included.push(asResource(r));
    }
  }
  const more = c.offset + c.count < ordered.length;
  const next = more ? self.replace(/([?&])_offset=\d+&?/, '$1').replace(/[?&]$/, '') + `${self.includes('?') ? '&' : '?'}_offset=${c.offset + c.count}` : undefined;
  return { entries: page, total: ordered.length, included, ignored, ...(next ? { next } : {}) };
}
