import type { Canonical } from '@salus/core';
import type { Purpose } from '@salus/client';
import type { BlobStore, KV } from '@salus/module';
import type { DisclosureRecorder } from './disclosures.js';
import type { RecordsIndex } from './index-db.js';
import { parseRecordsPayload, type Grant } from './payloads.js';
import { getPatient, getRecord, getVersion, party, patientRecords, readBasis, recordKey, type GrantState, type IdentityPatient, type Party, type ReadBasis, type RecordState, type VersionState } from './state.js';

/** What a consumer reads of the node's records index (derived from committed blocks): versions by patient and height, the accounting. */
export type RecordsIndexReader = Pick<RecordsIndex, 'indexedHeight' | 'versionsOf' | 'versionsSince' | 'consentChangesSince' | 'logOf'>;

/** The durable disclosure queue as a consumer that serves reads uses it: a read is queued (and on disk) before it is answered. */
export type DisclosureQueue = Pick<DisclosureRecorder, 'record' | 'recordAll'>;

/**
 * The records module as other parts of the node read it (the FHIR facade today; other modules'
 * services once records is a package of its own): committed consent and version facts, the
 * node's index, blobs, and the disclosure queue, and nothing of the module's files. Reads take the
 * committed view (`KV`) the caller holds, so one answer sees one height; time is the caller's
 * (`now`, from the node's clock), so consent expires on the same clock everywhere.
 */
export interface RecordsReader {
  /** The party a key is in this state: its registration if it has one (an application key has none). */
  party(kv: KV, key: string): Party;
  /** A record's facts (patient, authoring organisation, latest version); NOT_FOUND. */
  record(kv: KV, id: string): RecordState;
  /** The latest version of a record; undefined when there is no such record. */
  latestVersion(kv: KV, id: string): number | undefined;
  /** A version's facts (author, envelopes, tags, height, transaction); NOT_FOUND. */
  version(kv: KV, id: string, version: number): VersionState;
  /** The right on which `reader` may read this version for `purpose` at `now`; else CONSENT_REQUIRED (ERASED after erasure). */
  readBasis(kv: KV, reader: Party, record: string, rec: RecordState, ver: VersionState, purpose: Purpose, now: number): ReadBasis;
  /** A registered patient's current keys; NOT_FOUND. */
  patient(kv: KV, patient: string): IdentityPatient;
  /** The patient's grants as on the ledger, live and revoked. */
  grants(kv: KV, patient: string): readonly GrantState[];
  readonly index: RecordsIndexReader;
  /** Fetches blobs this node lacks from its peers (resolves when done or given up; then read them with `blob`). */
  fetch(hashes: string[]): Promise<void>;
  /** A stored ciphertext or envelope, its hash re-checked; undefined when this node holds none. */
  blob(hash: string): Promise<Uint8Array | undefined>;
  readonly disclosures: DisclosureQueue;
}

/** The reader over the records service's parts (the service builds it once; see RecordsService.reader). */
export function recordsReader(parts: { index: RecordsIndexReader; blobs: Pick<BlobStore, 'get'>; disclosures: DisclosureQueue; fetch: (hashes: string[]) => Promise<void> }): RecordsReader {
  return {
    party,
    record: getRecord,
    latestVersion: (kv, id) => (kv.get(recordKey(id)) as RecordState | undefined)?.latest,
    version: getVersion,
    readBasis,
    patient: getPatient,
    grants: (kv, patient) => patientRecords(kv, patient).grants,
    index: parts.index,
    fetch: parts.fetch,
    blob: (hash) => parts.blobs.get(hash),
    disclosures: parts.disclosures,
  };
}

/** A `records/grant` payload checked as the module checks it (INVALID_FIELD …): what a Consent carrying a signed grant must say. */
export function parseGrant(payload: Canonical): Grant {
  return parseRecordsPayload('grant', payload) as Grant;
}
