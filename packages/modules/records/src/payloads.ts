import { SalusError, fromHex, toHex, v, type Canonical } from '@salus/core';
import { PURPOSES, type Purpose } from '@salus/client';
import { HEX32, ORG_ID } from '@salus/module';

/** Transaction types of the records module and their stateless checks. */
export const RECORDS_TX_TYPES = ['set_keyring', 'write', 'write_batch', 'add_envelopes', 'grant', 'revoke', 'break_glass', 'disclose', 'erase'] as const;
export type RecordsTxType = (typeof RECORDS_TX_TYPES)[number];

export const RECORD_ID = /^rec-[0-9a-f]{32}$/;
export const GRANT_ID = /^[a-z0-9][a-z0-9-]{0,47}$/;
export const PATIENT_ID = /^pat-[0-9a-f]{32}$/;
export const ACTIONS = ['read', 'write'] as const;
export type Action = (typeof ACTIONS)[number];

export const RECORDS_LIMITS = {
  tagsMax: 16,
  envelopesMax: 64,
  grantsPerPatientMax: 128,
  scopeItemsMax: 64,
  disclosuresPerTxMax: 200,
  /** writes in one all-or-nothing batch (a FHIR transaction Bundle) */
  batchWritesMax: 100,
  reasonLengthMax: 500,
  /** longest break-glass access */
  emergencyMsMax: 24 * 3600_000,
  /** largest record ciphertext accepted (a FHIR resource with attachments belongs in a DocumentReference's own blob) */
  contentBytesMax: 1024 * 1024,
} as const;

export interface BlobRef {
  readonly blob: string;
}
export interface EnvelopeRef {
  /** recipient X25519 public key, hex */
  readonly to: string;
  /** content address of the envelope blob */
  readonly blob: string;
}
export interface SetKeyring {
  readonly patient: string;
  readonly blob: string;
  readonly recipients: readonly string[];
}
export interface Write {
  readonly patient: string;
  readonly record: string;
  readonly version: number;
  readonly content: string;
  readonly size: number;
  readonly tags: readonly string[];
  readonly envelopes: readonly EnvelopeRef[];
  readonly emergency: boolean;
}
export interface WriteBatch {
  readonly writes: readonly Write[];
}
export interface AddEnvelopes {
  readonly record: string;
  readonly version: number;
  readonly envelopes: readonly EnvelopeRef[];
}
export type Grantee = { readonly org: string } | { readonly key: string; readonly encryptionKey: string };
export type Scope = { readonly all: true } | { readonly tags: readonly string[] } | { readonly records: readonly string[] };
export interface Grant {
  readonly patient: string;
  readonly id: string;
  readonly grantee: Grantee;
  readonly scope: Scope;
  readonly actions: readonly Action[];
  readonly purposes: readonly Purpose[];
  /** ms since epoch; the grant lapses at this block time (absent: until revoked) */
  readonly until: number | null;
}
export interface Revoke {
  readonly patient: string;
  readonly id: string;
}
export interface BreakGlass {
  readonly patient: string;
  readonly reason: string;
  readonly durationMs: number;
}
export interface DisclosureEntry {
  readonly patient: string;
  readonly record: string;
  readonly version: number;
  /** the reader's signing key and its signed request (sig empty: a FHIR read by bearer token, nonce = the token's id) */
  readonly reader: string;
  readonly purpose: Purpose;
  readonly at: number;
  readonly nonce: string;
  readonly sig: string;
  /** which right served it */
  readonly basis: 'patient' | 'author' | 'grant' | 'emergency';
}
export interface Disclose {
  readonly entries: readonly DisclosureEntry[];
}
export interface Erase {
  readonly patient: string;
}

const hex32 = (x: unknown, f: string) => v.str(x, f, 64, HEX32);
const patient = (x: unknown) => v.str(x, 'patient', 36, PATIENT_ID);
const record = (x: unknown, f = 'record') => v.str(x, f, 36, RECORD_ID);

function uniqueList<T>(items: readonly T[], key: (t: T) => string, field: string): void {
  const seen = new Set<string>();
  for (const i of items) {
    const k = key(i);
    if (seen.has(k)) throw new SalusError('INVALID_FIELD', `${field} lists ${k.slice(0, 16)} twice`, { field });
    seen.add(k);
  }
}

function envelopes(x: unknown): EnvelopeRef[] {
  const list = v.list(x, 'envelopes', RECORDS_LIMITS.envelopesMax).map((e, i) => {
    const r = v.record(e, `envelopes[${i}]`);
    v.onlyKeys(r, ['to', 'blob'], `envelopes[${i}]`);
    return { to: hex32(r.to, `envelopes[${i}].to`), blob: hex32(r.blob, `envelopes[${i}].blob`) };
  });
  if (list.length === 0) throw new SalusError('INVALID_FIELD', 'envelopes must not be empty', { field: 'envelopes' });
  uniqueList(list, (e) => e.to, 'envelopes');
  return list;
}

function grantee(x: unknown): Grantee {
  const r = v.record(x, 'grantee');
  if ('org' in r) {
    v.onlyKeys(r, ['org'], 'grantee');
    return { org: v.str(r.org, 'grantee.org', 63, ORG_ID) };
  }
  v.onlyKeys(r, ['key', 'encryptionKey'], 'grantee');
  return { key: hex32(r.key, 'grantee.key'), encryptionKey: hex32(r.encryptionKey, 'grantee.encryptionKey') };
}

function scope(x: unknown): Scope {
  const r = v.record(x, 'scope');
  const keys = Object.keys(r);
  if (keys.length !== 1) throw new SalusError('INVALID_FIELD', 'scope must be exactly one of {all: true}, {tags: [...]}, {records: [...]}', { field: 'scope' });
  if (r.all !== undefined) {
    if (r.all !== true) throw new SalusError('INVALID_FIELD', 'scope.all must be true', { field: 'scope.all' });
    return { all: true };
  }
  if (r.tags !== undefined) {
    const tags = v.list(r.tags, 'scope.tags', RECORDS_LIMITS.scopeItemsMax).map((t, i) => hex32(t, `scope.tags[${i}]`));
    if (tags.length === 0) throw new SalusError('INVALID_FIELD', 'scope.tags must not be empty', { field: 'scope.tags' });
    return { tags };
  }
  if (r.records !== undefined) {
    const records = v.list(r.records, 'scope.records', RECORDS_LIMITS.scopeItemsMax).map((t, i) => record(t, `scope.records[${i}]`));
    if (records.length === 0) throw new SalusError('INVALID_FIELD', 'scope.records must not be empty', { field: 'scope.records' });
    return { records };
  }
  throw new SalusError('INVALID_FIELD', 'scope must be one of all, tags, records', { field: 'scope' });
}

function nonEmptySet<T extends string>(x: unknown, field: string, options: readonly T[]): T[] {
  const list = v.list(x, field, options.length).map((a, i) => v.oneOf(a, `${field}[${i}]`, options));
  if (list.length === 0) throw new SalusError('INVALID_FIELD', `${field} must not be empty`, { field });
  uniqueList(list, (a) => a, field);
  return list;
}

/**
 * On the ledger a disclosure entry is a tuple, not a map: [patient, record, version, reader (32
 * bytes), purpose, at, nonce (bytes), sig (64 bytes), basis]. Reads are the most numerous facts the
 * ledger keeps; the tuple is about 40% smaller than the map and encodes without sorting keys.
 */
export const BASES = ['patient', 'author', 'grant', 'emergency'] as const;

export function entryTuple(e: DisclosureEntry): Canonical {
  return [e.patient, e.record, e.version, fromHex(e.reader, 32), e.purpose, e.at, fromHex(e.nonce), e.sig === '' ? new Uint8Array(0) : fromHex(e.sig, 64), e.basis];
}

/** The reader's request signature, or none for a read by a FHIR bearer token (the token names the client). */
function sigOrNone(x: unknown, field: string): string {
  const b = v.bytes(x, field);
  if (b.length !== 0 && b.length !== 64) throw new SalusError('INVALID_FIELD', `${field} must be 64 bytes, or empty for a token read`, { field });
  return toHex(b);
}

function entry(x: unknown, i: number): DisclosureEntry {
  const f = `entries[${i}]`;
  const t = v.list(x, f, 9);
  if (t.length !== 9) throw new SalusError('INVALID_FIELD', `${f} must be [patient, record, version, reader, purpose, at, nonce, sig, basis]`, { field: f });
  const nonce = v.bytes(t[6], `${f}.nonce`);
  if (nonce.length < 8 || nonce.length > 32) throw new SalusError('INVALID_FIELD', `${f}.nonce must be 8-32 bytes`, { field: `${f}.nonce` });
  return {
    patient: patient(t[0]),
    record: record(t[1], `${f}.record`),
    version: v.uint(t[2], `${f}.version`),
    reader: toHex(v.bytes(t[3], `${f}.reader`, 32)),
    purpose: v.oneOf(t[4], `${f}.purpose`, PURPOSES),
    at: v.uint(t[5], `${f}.at`),
    nonce: toHex(nonce),
    sig: sigOrNone(t[7], `${f}.sig`),
    basis: v.oneOf(t[8], `${f}.basis`, BASES),
  };
}

export function parseRecordsPayload(type: string, payload: Canonical): unknown {
  const r = v.record(payload, 'payload');
  switch (type as RecordsTxType) {
    case 'set_keyring': {
      v.onlyKeys(r, ['patient', 'blob', 'recipients'], 'payload');
      const recipients = v.list(r.recipients, 'recipients', RECORDS_LIMITS.envelopesMax).map((k, i) => hex32(k, `recipients[${i}]`));
      uniqueList(recipients, (k) => k, 'recipients');
      return { patient: patient(r.patient), blob: hex32(r.blob, 'blob'), recipients } satisfies SetKeyring;
    }
    case 'write_batch': {
      v.onlyKeys(r, ['writes'], 'payload');
      const writes = v.list(r.writes, 'writes', RECORDS_LIMITS.batchWritesMax).map((x, i) => {
        try {
          return parseRecordsPayload('write', x as Canonical) as Write;
        } catch (e) {
          if (e instanceof SalusError) throw new SalusError(e.code, `writes[${i}]: ${e.message}`, e.meta);
          throw e;
        }
      });
      if (writes.length === 0) throw new SalusError('INVALID_FIELD', 'writes must not be empty', { field: 'writes' });
      return { writes } satisfies WriteBatch;
    }
    case 'write': {
      v.onlyKeys(r, ['patient', 'record', 'version', 'content', 'size', 'tags', 'envelopes', 'emergency'], 'payload');
      const tags = v.list(r.tags, 'tags', RECORDS_LIMITS.tagsMax).map((t, i) => hex32(t, `tags[${i}]`));
      uniqueList(tags, (t) => t, 'tags');
      if (typeof r.emergency !== 'boolean') throw new SalusError('INVALID_FIELD', 'emergency must be a boolean', { field: 'emergency' });
      const size = v.uint(r.size, 'size');
      if (size > RECORDS_LIMITS.contentBytesMax) throw new SalusError('OVERSIZE', `a record's ciphertext may be at most ${RECORDS_LIMITS.contentBytesMax} bytes`, { size });
      const version = v.uint(r.version, 'version');
      if (version < 1) throw new SalusError('INVALID_FIELD', 'version starts at 1', { field: 'version' });
      return {
        patient: patient(r.patient),
        record: record(r.record),
        version,
        content: hex32(r.content, 'content'),
        size,
        tags,
        envelopes: envelopes(r.envelopes),
        emergency: r.emergency,
      } satisfies Write;
    }
    case 'add_envelopes':
      v.onlyKeys(r, ['record', 'version', 'envelopes'], 'payload');
      return { record: record(r.record), version: v.uint(r.version, 'version'), envelopes: envelopes(r.envelopes) } satisfies AddEnvelopes;
    case 'grant': {
      v.onlyKeys(r, ['patient', 'id', 'grantee', 'scope', 'actions', 'purposes', 'until'], 'payload');
      return {
        patient: patient(r.patient),
        id: v.str(r.id, 'id', 48, GRANT_ID),
        grantee: grantee(r.grantee),
        scope: scope(r.scope),
        actions: nonEmptySet(r.actions, 'actions', ACTIONS),
        purposes: nonEmptySet(r.purposes, 'purposes', PURPOSES),
        until: r.until === null || r.until === undefined ? null : v.uint(r.until, 'until'),
      } satisfies Grant;
    }
    case 'revoke':
      v.onlyKeys(r, ['patient', 'id'], 'payload');
      return { patient: patient(r.patient), id: v.str(r.id, 'id', 48, GRANT_ID) } satisfies Revoke;
    case 'break_glass': {
      v.onlyKeys(r, ['patient', 'reason', 'durationMs'], 'payload');
      const durationMs = v.uint(r.durationMs, 'durationMs', RECORDS_LIMITS.emergencyMsMax);
      if (durationMs < 60_000) throw new SalusError('INVALID_FIELD', 'durationMs must be at least one minute', { field: 'durationMs' });
      return { patient: patient(r.patient), reason: v.str(r.reason, 'reason', RECORDS_LIMITS.reasonLengthMax), durationMs } satisfies BreakGlass;
    }
    case 'disclose': {
      v.onlyKeys(r, ['entries'], 'payload');
      const entries = v.list(r.entries, 'entries', RECORDS_LIMITS.disclosuresPerTxMax).map(entry);
      if (entries.length === 0) throw new SalusError('INVALID_FIELD', 'entries must not be empty', { field: 'entries' });
      return { entries } satisfies Disclose;
    }
    case 'erase':
      v.onlyKeys(r, ['patient'], 'payload');
      return { patient: patient(r.patient) } satisfies Erase;
    default:
      throw new SalusError('UNKNOWN_TYPE', `records has no type "${type}"`);
  }
}
