import { RECORDS_ERRORS } from './errors.js';
import { SalusError, toHex, type Canonical } from '@salus/core';
import { activeKey, getOrg } from '@salus/identity';
import { validatorsForHeight } from '@salus/governance';
import {
  parseRecordsPayload,
  type RecordsTxType,
  type AddEnvelopes,
  type BreakGlass,
  type Disclose,
  type Erase,
  type Grant,
  type Revoke,
  type SetKeyring,
  type Write,
  type WriteBatch,
} from './payloads.js';
import {
  type GrantState,
  type PatientRecords,
  type RecordState,
  type VersionState,
  actingOrg,
  allowedRecipients,
  checkRecipients,
  claimBlobs,
  findGrant,
  getPatient,
  getRecord,
  getVersion,
  party,
  patientRecords,
  patientRecordsKey,
  recordKey,
  requireNotErased,
  requireThePatient,
  versionKey,
  withGrant,
} from './state.js';
import { recordsStateRoutes } from './routes.js';
import type { AppModule, TxContext, TxTypeDoc } from '@salus/module';

/**
 * Records: patient-controlled, encrypted health records. The ledger holds only opaque ids, the
 * patient's pseudonym, ciphertext and envelope hashes, keyed tag commitments, consent and
 * disclosure facts; content is encrypted by the client before it reaches a node (docs/records.md).
 */
function setPatient(ctx: TxContext, p: string, pr: PatientRecords): void {
  ctx.state.set(patientRecordsKey(p), pr);
}

function write(ctx: TxContext, w: Write): void {
  const id = getPatient(ctx.state, w.patient);
  const pr = patientRecords(ctx.state, w.patient);
  requireNotErased(pr, w.patient);
  const signer = party(ctx.state, ctx.signerHex);
  const isPatient = id.signingKey === ctx.signerHex;
  const org = isPatient ? null : actingOrg(signer);
  if (!isPatient && org === null) throw new SalusError('FORBIDDEN', 'only the patient or a member of an organisation writes records');
  let rec: RecordState;
  if (w.version === 1) {
    if (ctx.state.has(recordKey(w.record))) throw new SalusError('CONFLICT', `record ${w.record} already exists`, { record: w.record });
    rec = { patient: w.patient, org, latest: 1, created: ctx.height };
  } else {
    const prev = getRecord(ctx.state, w.record);
    if (prev.patient !== w.patient) throw new SalusError('INVALID_FIELD', `record ${w.record} belongs to another patient`, { field: 'patient' });
    if (w.version !== prev.latest + 1) throw new SalusError('CONFLICT', `the next version of ${w.record} is ${prev.latest + 1}`, { expected: prev.latest + 1 });
    rec = { ...prev, latest: w.version };
  }
  const authored = org !== null && w.version > 1 && org === rec.org;
  if (!isPatient && !authored && !findGrant(pr, signer, { record: w.record, tags: w.tags, action: 'write', now: ctx.time })) {
    throw new SalusError('CONSENT_REQUIRED', `${org} holds no live write grant or authorship for this record of ${w.patient}`, { record: w.record });
  }
  const allowed = allowedRecipients(ctx.state, { patient: w.patient, record: w.record, tags: w.tags, emergency: w.emergency, org: rec.org ?? org, writer: signer.rec, now: ctx.time });
  if (org) allowed.add(getOrg(ctx.state, org)!.encryptionKey);
  checkRecipients(w.envelopes, allowed, id.encryptionKey);
  claimBlobs(ctx.state, w.patient, [w.content, ...w.envelopes.map((e) => e.blob)]);
  ctx.state.set(recordKey(w.record), rec);
  const ver: VersionState = {
    author: ctx.signerHex,
    org,
    content: w.content,
    size: w.size,
    tags: w.tags,
    envelopes: w.envelopes,
    emergency: w.emergency,
    height: ctx.height,
    time: ctx.time,
    tx: toHex(ctx.txHash),
  };
  ctx.state.set(versionKey(w.record, w.version), ver as unknown as Canonical);
  ctx.emit('records.written', { patient: w.patient, record: w.record, version: w.version, org });
}

function addEnvelopes(ctx: TxContext, a: AddEnvelopes): void {
  const rec = getRecord(ctx.state, a.record);
  const ver = getVersion(ctx.state, a.record, a.version);
  const pr = patientRecords(ctx.state, rec.patient);
  requireNotErased(pr, rec.patient);
  const id = getPatient(ctx.state, rec.patient);
  const signer = party(ctx.state, ctx.signerHex);
  const org = actingOrg(signer);
  // Only a holder of the data key re-wraps it: the patient, or the organisation that wrote the version.
  if (id.signingKey !== ctx.signerHex && (org === null || (org !== ver.org && org !== rec.org))) {
    throw new SalusError('FORBIDDEN', 'only the patient or the authoring organisation adds envelopes');
  }
  const allowed = allowedRecipients(ctx.state, { patient: rec.patient, record: a.record, tags: ver.tags, emergency: ver.emergency, org: ver.org, writer: undefined, now: ctx.time });
  checkRecipients(a.envelopes, allowed, null);
  const have = new Set(ver.envelopes.map((e) => e.to));
  for (const e of a.envelopes) if (have.has(e.to)) throw new SalusError('CONFLICT', `version ${a.version} already has an envelope for ${e.to.slice(0, 12)}…`);
  claimBlobs(ctx.state, rec.patient, a.envelopes.map((e) => e.blob));
  ctx.state.set(versionKey(a.record, a.version), { ...ver, envelopes: [...ver.envelopes, ...a.envelopes] } as unknown as Canonical);
  ctx.emit('records.envelopes_added', { patient: rec.patient, record: a.record, version: a.version, count: a.envelopes.length });
}

function grant(ctx: TxContext, g: Grant): void {
  requireThePatient(ctx.state, ctx.signerHex, g.patient);
  const pr = patientRecords(ctx.state, g.patient);
  requireNotErased(pr, g.patient);
  if ('org' in g.grantee && !getOrg(ctx.state, g.grantee.org)) throw new SalusError('NOT_FOUND', `no organisation ${g.grantee.org}`);
  if (g.until !== null && g.until <= ctx.time) throw new SalusError('INVALID_FIELD', 'until is already past', { field: 'until' });
  const prev = pr.grants.find((x) => x.id === g.id);
  if (prev && prev.status === 'revoked') throw new SalusError('CONFLICT', `grant ${g.id} was revoked; issue a new id`);
  const { patient: _p, ...rest } = g;
  const state: GrantState = { ...rest, status: 'active', since: prev?.since ?? ctx.height, revokedAt: null };
  setPatient(ctx, g.patient, { ...pr, grants: withGrant(pr, state, ctx.time) });
  ctx.emit(prev ? 'records.grant_changed' : 'records.granted', { patient: g.patient, id: g.id });
}

function revoke(ctx: TxContext, r: Revoke): void {
  requireThePatient(ctx.state, ctx.signerHex, r.patient);
  const pr = patientRecords(ctx.state, r.patient);
  requireNotErased(pr, r.patient);
  const g = pr.grants.find((x) => x.id === r.id);
  if (!g || g.status !== 'active') throw new SalusError('NOT_FOUND', `no active grant ${r.id}`);
  setPatient(ctx, r.patient, { ...pr, grants: pr.grants.map((x) => (x.id === r.id ? { ...x, status: 'revoked' as const, revokedAt: ctx.height } : x)) });
  ctx.emit('records.revoked', { patient: r.patient, id: r.id });
}

function breakGlass(ctx: TxContext, b: BreakGlass): void {
  const key = activeKey(ctx.state, ctx.signerHex);
  if (!key || key.role !== 'emergency' || !key.org) throw new SalusError('FORBIDDEN', 'break-glass access needs a key with the emergency role');
  getPatient(ctx.state, b.patient);
  const pr = patientRecords(ctx.state, b.patient);
  requireNotErased(pr, b.patient);
  const live = pr.emergency.filter((e) => e.until > ctx.time && e.key !== ctx.signerHex);
  const access = { key: ctx.signerHex, org: key.org, encryptionKey: key.encryptionKey, reason: b.reason, from: ctx.time, until: ctx.time + b.durationMs, height: ctx.height };
  setPatient(ctx, b.patient, { ...pr, emergency: [...live, access] });
  ctx.emit('records.break_glass', { patient: b.patient, key: ctx.signerHex, org: key.org, until: access.until });
}

function disclose(ctx: TxContext, d: Disclose): void {
  // Disclosures are attested by the node that served them: a validator, or an organisation's registered service key.
  const isValidator = validatorsForHeight(ctx.state, ctx.height).some((x) => x.pubKey === ctx.signerHex);
  const key = activeKey(ctx.state, ctx.signerHex);
  if (!isValidator && key?.role !== 'service') throw new SalusError('FORBIDDEN', 'disclosures are recorded by validators or registered service keys');
  // A batch names few records many times: each is looked up once; a version exists iff 1 ≤ v ≤ latest.
  const seen = new Map<string, RecordState>();
  for (const e of d.entries) {
    let rec = seen.get(e.record);
    if (!rec) seen.set(e.record, (rec = getRecord(ctx.state, e.record)));
    if (rec.patient !== e.patient) throw new SalusError('INVALID_FIELD', `record ${e.record} belongs to another patient`);
    if (e.version < 1 || e.version > rec.latest) throw new SalusError('NOT_FOUND', `record ${e.record} has no version ${e.version}`);
  }
  ctx.emit('records.disclosed', { count: d.entries.length });
}

function erase(ctx: TxContext, e: Erase): void {
  requireThePatient(ctx.state, ctx.signerHex, e.patient);
  const pr = patientRecords(ctx.state, e.patient);
  requireNotErased(pr, e.patient);
  setPatient(ctx, e.patient, { keyring: null, grants: [], emergency: [], erased: { height: ctx.height, time: ctx.time } });
  ctx.emit('records.erased', { patient: e.patient });
}

function setKeyring(ctx: TxContext, k: SetKeyring): void {
  requireThePatient(ctx.state, ctx.signerHex, k.patient);
  const pr = patientRecords(ctx.state, k.patient);
  requireNotErased(pr, k.patient);
  if (!k.recipients.includes(getPatient(ctx.state, k.patient).encryptionKey)) throw new SalusError('INVALID_FIELD', "the keyring must be sealed to the patient's own encryption key", { field: 'recipients' });
  claimBlobs(ctx.state, k.patient, [k.blob]);
  setPatient(ctx, k.patient, { ...pr, keyring: { blob: k.blob, recipients: k.recipients, height: ctx.height } });
  ctx.emit('records.keyring_set', { patient: k.patient });
}

/** One handler per transaction type (the router has already checked that the type is one of these). */
/** All or nothing: the application runs a transaction on an overlay it drops when a handler throws. */
function writeBatch(ctx: TxContext, b: WriteBatch): void {
  b.writes.forEach((w, i) => {
    try {
      write(ctx, w);
    } catch (e) {
      if (e instanceof SalusError) throw new SalusError(e.code, `writes[${i}]: ${e.message}`, e.meta);
      throw e;
    }
  });
}

const HANDLERS: { readonly [T in RecordsTxType]: (ctx: TxContext, p: never) => void } = {
  set_keyring: setKeyring,
  write,
  write_batch: writeBatch,
  add_envelopes: addEnvelopes,
  grant,
  revoke,
  break_glass: breakGlass,
  disclose,
  erase,
};

const TX_TYPES: Record<RecordsTxType, TxTypeDoc> = {
  set_keyring: { summary: "Stores the patient's sealed keyring (tag key) blob" },
  write: { summary: 'A new version of a record: ciphertext and envelope hashes, consent checked' },
  write_batch: { summary: 'Up to 100 writes, all or nothing (a FHIR transaction Bundle)' },
  add_envelopes: { summary: 'Wraps an existing version for new recipients (a new grantee, a hand-over)' },
  grant: { summary: 'The patient grants a party a scope, actions and purposes until a time' },
  revoke: { summary: 'The patient revokes or narrows a grant' },
  break_glass: { summary: 'An emergency-role key opens the emergency data set for minutes' },
  // a follower's node key need not be registered to record its disclosures: the handler checks it
  disclose: { summary: 'A node records the reads it served (batched)', open: true },
  erase: { summary: "The patient's erasure: every node deletes ciphertexts and envelopes" },
};

export const recordsModule: AppModule = {
  name: 'records',
  txs: {
    types: TX_TYPES,
    check: (type, payload) => void parseRecordsPayload(type, payload),
    deliver: (ctx, type, payload) => HANDLERS[type as RecordsTxType](ctx, parseRecordsPayload(type, payload) as never),
  },
  errors: RECORDS_ERRORS,
  events: [
    { type: 'records.written', attributes: ['patient', 'record', 'version', 'org'] },
    { type: 'records.envelopes_added', attributes: ['patient', 'record', 'version', 'count'] },
    { type: 'records.granted', attributes: ['patient', 'id'] },
    { type: 'records.grant_changed', attributes: ['patient', 'id'] },
    { type: 'records.revoked', attributes: ['patient', 'id'] },
    { type: 'records.break_glass', attributes: ['patient', 'key', 'org', 'until'] },
    { type: 'records.disclosed', attributes: ['count'] },
    { type: 'records.erased', attributes: ['patient'] },
    { type: 'records.keyring_set', attributes: ['patient'] },
  ],
  routes: recordsStateRoutes,
};

/** Content addresses a records transaction refers to, and the patient they belong to (for the blob store and the index). */
export function blobRefs(type: string, payload: Canonical): { patient: string | null; record: string | null; hashes: string[] } {
  if (type === 'write_batch') {
    const b = parseRecordsPayload(type, payload) as WriteBatch;
    return { patient: null, record: null, hashes: b.writes.flatMap((w) => [w.content, ...w.envelopes.map((e) => e.blob)]) };
  }
  if (type === 'write') {
    const w = parseRecordsPayload(type, payload) as Write;
    return { patient: w.patient, record: w.record, hashes: [w.content, ...w.envelopes.map((e) => e.blob)] };
  }
  if (type === 'add_envelopes') {
    const a = parseRecordsPayload(type, payload) as AddEnvelopes;
    return { patient: null, record: a.record, hashes: a.envelopes.map((e) => e.blob) };
  }
  if (type === 'set_keyring') {
    const k = parseRecordsPayload(type, payload) as SetKeyring;
    return { patient: k.patient, record: null, hashes: [k.blob] };
  }
  return { patient: null, record: null, hashes: [] };
}
