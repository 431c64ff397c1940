import { SalusError } from '@salus/core';
import { type Purpose } from '@salus/client';
import { activeKey, getOrg, patientKey, type KeyRecord } from '@salus/identity';
import { RECORDS_LIMITS, type Action, type EnvelopeRef, type Grant } from './payloads.js';
import type { KV } from '@salus/module';

/** The keys the records module owns, and the consent rules both the handlers and the read path apply. */
export const patientRecordsKey = (p: string) => `records/patient/${p}`;
export const recordKey = (id: string) => `records/rec/${id}`;
export const versionKey = (id: string, version: number) => `records/ver/${id}/${version}`;
export const blobOwnerKey = (hash: string) => `records/blob/${hash}`;

/**
 * A blob belongs to the patient of the first transaction that names it; naming another patient's
 * blob is refused. Otherwise a party could name a victim's ciphertext in its own record and then
 * shred it by erasing itself, or keep it alive past the victim's erasure.
 */
export function claimBlobs(kv: KV, patient: string, hashes: readonly string[]): void {
  for (const h of hashes) {
    const owner = kv.get(blobOwnerKey(h)) as string | undefined;
    if (owner === undefined) kv.set(blobOwnerKey(h), patient);
    else if (owner !== patient) throw new SalusError('CONFLICT', `blob ${h.slice(0, 16)}… belongs to another patient`, { hash: h });
  }
}

export interface GrantState extends Omit<Grant, 'patient'> {
  readonly status: 'active' | 'revoked';
  readonly since: number;
  readonly revokedAt: number | null;
}

export interface EmergencyAccess {
  readonly key: string;
  readonly org: string;
  readonly encryptionKey: string;
  readonly reason: string;
  readonly from: number;
  readonly until: number;
  readonly height: number;
}

export interface PatientRecords {
  readonly keyring: { readonly blob: string; readonly recipients: readonly string[]; readonly height: number } | null;
  readonly grants: readonly GrantState[];
  readonly emergency: readonly EmergencyAccess[];
  readonly erased: { readonly height: number; readonly time: number } | null;
}

export interface RecordState {
  readonly patient: string;
  /** the organisation that created it (null: the patient wrote it) */
  readonly org: string | null;
  readonly latest: number;
  readonly created: number;
}

export interface VersionState {
  readonly author: string;
  readonly org: string | null;
  readonly content: string;
  readonly size: number;
  readonly tags: readonly string[];
  readonly envelopes: readonly EnvelopeRef[];
  readonly emergency: boolean;
  readonly height: number;
  readonly time: number;
  readonly tx: string;
}

export interface IdentityPatient {
  readonly signingKey: string;
  readonly encryptionKey: string;
  readonly onboardedBy: string | null;
}

const EMPTY: PatientRecords = { keyring: null, grants: [], emergency: [], erased: null };

export function getPatient(kv: KV, p: string): IdentityPatient {
  const id = kv.get(patientKey(p)) as IdentityPatient | undefined;
  if (!id) throw new SalusError('NOT_FOUND', `no patient ${p}`, { patient: p });
  return id;
}

export function patientRecords(kv: KV, p: string): PatientRecords {
  return (kv.get(patientRecordsKey(p)) as PatientRecords | undefined) ?? EMPTY;
}

export function requireNotErased(pr: PatientRecords, p: string): void {
  if (pr.erased) throw new SalusError('ERASED', `the records of ${p} were erased at height ${pr.erased.height}`, { patient: p, height: pr.erased.height });
}

export function getRecord(kv: KV, id: string): RecordState {
  const r = kv.get(recordKey(id)) as RecordState | undefined;
  if (!r) throw new SalusError('NOT_FOUND', `no record ${id}`, { record: id });
  return r;
}

export function getVersion(kv: KV, id: string, version: number): VersionState {
  const r = kv.get(versionKey(id, version)) as VersionState | undefined;
  if (!r) throw new SalusError('NOT_FOUND', `record ${id} has no version ${version}`, { record: id, version });
  return r;
}

/** Who is asking: a registered key (member or patient) or an unregistered application key. */
export interface Party {
  readonly key: string;
  readonly rec: KeyRecord | undefined;
}

export function party(kv: KV, key: string): Party {
  return { key, rec: activeKey(kv, key) };
}

const ORG_ACTORS = ['admin', 'practitioner', 'service', 'device', 'emergency'];

/** The organisation a party acts for, if it is an active member. */
export function actingOrg(p: Party): string | null {
  return p.rec && p.rec.org && ORG_ACTORS.includes(p.rec.role) ? p.rec.org : null;
}

export function isThePatient(kv: KV, p: Party, patient: string): boolean {
  return getPatient(kv, patient).signingKey === p.key;
}

export function requireThePatient(kv: KV, signerHex: string, patient: string): void {
  if (getPatient(kv, patient).signingKey !== signerHex) throw new SalusError('NOT_THE_PATIENT', `only the key of patient ${patient} may do this`, { patient });
}

export function grantLive(g: GrantState, now: number): boolean {
  return g.status === 'active' && (g.until === null || g.until > now);
}

export function grantCovers(g: Pick<GrantState, 'scope'>, record: string, tags: readonly string[]): boolean {
  const s = g.scope;
  if ('all' in s) return true;
  if ('records' in s) return s.records.includes(record);
  return s.tags.some((t) => tags.includes(t));
}

function granteeMatches(g: GrantState, p: Party): boolean {
  const gt = g.grantee;
  return 'org' in gt ? actingOrg(p) === gt.org : gt.key === p.key;
}

/** The grant that gives `p` this action on this record version, if any. */
export function findGrant(pr: PatientRecords, p: Party, o: { record: string; tags: readonly string[]; action: Action; purpose?: Purpose; now: number }): GrantState | undefined {
  return pr.grants.find(
    (g) => grantLive(g, o.now) && g.actions.includes(o.action) && (o.purpose === undefined || g.purposes.includes(o.purpose)) && granteeMatches(g, p) && grantCovers(g, o.record, o.tags),
  );
}

export type ReadBasis = 'patient' | 'author' | 'grant' | 'emergency';

/**
 * Consent for a read at `now` (a node uses its clock for expiry; a handler uses block time): the
 * patient, the authoring organisation, a live grant for this purpose and record, or a live
 * break-glass access to the emergency data set. Else CONSENT_REQUIRED (ERASED after erasure).
 */
export function readBasis(kv: KV, p: Party, record: string, rec: RecordState, ver: VersionState, purpose: Purpose, now: number): ReadBasis {
  const pr = patientRecords(kv, rec.patient);
  requireNotErased(pr, rec.patient);
  if (isThePatient(kv, p, rec.patient)) return 'patient';
  const org = actingOrg(p);
  if (org !== null && (org === rec.org || org === ver.org)) return 'author';
  if (findGrant(pr, p, { record, tags: ver.tags, action: 'read', purpose, now })) return 'grant';
  if (purpose === 'emergency' && ver.emergency && pr.emergency.some((e) => e.key === p.key && e.until > now)) return 'emergency';
  throw new SalusError('CONSENT_REQUIRED', `no active grant, authorship or emergency access lets this key read ${record} for ${purpose}`, { record, purpose });
}

/** The encryption key a grantee receives envelopes for: its organisation's, or the one the patient named in the grant. */
export function granteeEncryptionKey(kv: KV, g: GrantState): string | undefined {
  if ('org' in g.grantee) return getOrg(kv, g.grantee.org)?.encryptionKey;
  return g.grantee.encryptionKey;
}

/**
 * The X25519 keys a version's data key may be wrapped to: the patient, the authoring organisation
 * and the writing key, every live read grant covering it, and live emergency readers of an
 * emergency-set version. A revoked or expired grantee is not in it, so it gets no envelope.
 */
export function allowedRecipients(
  kv: KV,
  o: { patient: string; record: string; tags: readonly string[]; emergency: boolean; org: string | null; writer: KeyRecord | undefined; now: number },
): Set<string> {
  const out = new Set<string>([getPatient(kv, o.patient).encryptionKey]);
  if (o.org) {
    const org = getOrg(kv, o.org);
    if (org) out.add(org.encryptionKey);
  }
  if (o.writer) out.add(o.writer.encryptionKey);
  const pr = patientRecords(kv, o.patient);
  for (const g of pr.grants) {
    if (!grantLive(g, o.now) || !g.actions.includes('read') || !grantCovers(g, o.record, o.tags)) continue;
    const k = granteeEncryptionKey(kv, g);
    if (k) out.add(k);
  }
  if (o.emergency) for (const e of pr.emergency) if (e.until > o.now) out.add(e.encryptionKey);
  return out;
}

export function checkRecipients(envelopes: readonly EnvelopeRef[], allowed: Set<string>, mustInclude: string | null): void {
  for (const e of envelopes) {
    if (!allowed.has(e.to)) throw new SalusError('CONSENT_REQUIRED', `envelope recipient ${e.to.slice(0, 12)}… holds no right to this record`, { recipient: e.to });
  }
  if (mustInclude !== null && !envelopes.some((e) => e.to === mustInclude)) {
    throw new SalusError('INVALID_FIELD', "every version must carry an envelope for the patient's current encryption key", { field: 'envelopes' });
  }
}

/** Keeps the grant list bounded: revoked and lapsed grants go first when it is full. */
export function withGrant(pr: PatientRecords, g: GrantState, now: number): GrantState[] {
  const others = pr.grants.filter((x) => x.id !== g.id);
  while (others.length >= RECORDS_LIMITS.grantsPerPatientMax) {
    const i = others.findIndex((x) => !grantLive(x, now));
    if (i < 0) throw new SalusError('OVERSIZE', `a patient may hold at most ${RECORDS_LIMITS.grantsPerPatientMax} live grants`);
    others.splice(i, 1);
  }
  return [...others, g];
}
