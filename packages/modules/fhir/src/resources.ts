import { SalusError, type IdentityKeys, type KeyWrap } from '@salus/core';
import { type Purpose } from '@salus/client';
import { openBlobs, recordAad } from '@salus/client';
import type { ReadBasis, RecordState, RecordsReader, VersionState } from '@salus/records';
import { getOrg } from '@salus/identity';
import { parseFhir } from './json.js';
import { Slices } from './slices.js';
import type { KV, WallClock } from '@salus/module';

/**
 * The clinical resources this node's organisation may read, as FHIR sees them (ADR 0006): a record
 * is a resource (id = record id, versionId = record version). Plaintext lives only in memory: the
 * index of types and patients is derived by decrypting with the organisation's key, and rebuilt
 * from the ledger and the blob store after a restart.
 */
export interface Loaded {
  readonly resource: Record<string, unknown> & { resourceType: string };
  readonly record: string;
  readonly version: number;
  readonly patient: string;
  readonly basis: ReadBasis;
  readonly ver: VersionState;
}

/** A resource as FHIR serves it: id, and meta with versionId, lastUpdated and the ledger provenance. */
export type ServedResource = Record<string, unknown> & { resourceType: string; id: string; meta: { versionId: string; lastUpdated: string; [k: string]: unknown } };

export const LEDGER_EXTENSION = 'https://salus.health/fhir/StructureDefinition/ledger-provenance';

/** The served form of a decrypted version: a Patient's id is the patient's pseudonym, others' the record id. */
export function served(l: Loaded): ServedResource {
  const id = l.resource.resourceType === 'Patient' ? l.patient : l.record;
  return {
    ...l.resource,
    id,
    meta: {
      ...(l.resource.meta as object | undefined),
      versionId: String(l.version),
      lastUpdated: new Date(l.ver.time).toISOString(),
      extension: [{ url: LEDGER_EXTENSION, extension: [{ url: 'height', valueUnsignedInt: l.ver.height }, { url: 'transaction', valueString: l.ver.tx }] }],
    },
  };
}

interface Entry {
  readonly type: string;
  readonly patient: string;
  readonly latest: number;
  /** the latest version, decrypted: plaintext kept in memory only, so that searches decrypt nothing */
  readonly loaded: Loaded;
  /** its served form, built once: searches match on it and send it as it is (never mutated) */
  readonly served: ServedResource;
  /** the record's patient and authoring organisation (what a consent check reads of it; they never change) */
  readonly rec: RecordState;
}

/** Why a version cannot be indexed that will not pass by itself (anything else is retried). */
const PERMANENT = new Set(['CONSENT_REQUIRED', 'ERASED', 'NOT_FOUND', 'DECRYPTION_FAILED', 'INVALID_RESOURCE', 'HASH_MISMATCH']);

/** A search candidate that passed its test and the consent check at the current height. */
export interface Found {
  readonly loaded: Loaded;
  readonly served: ServedResource;
}

export class FhirResources {
  private readonly index = new Map<string, Entry>();
  /** record ids by type, and by type and patient, in the index's order (first indexed first) */
  private readonly byType = new Map<string, Set<string>>();
  private readonly byTypePatient = new Map<string, Set<string>>();
  private indexedHeight = 0;
  private readonly orgEnc: string;

  constructor(private readonly deps: { records: RecordsReader; view: () => KV; clock: WallClock; org: string; orgKeys: IdentityKeys; orgAdminKey: string; keyWrap: KeyWrap; lastHeight: () => number }) {
    this.orgEnc = Buffer.from(deps.orgKeys.encryption.publicKey).toString('hex');
  }

  /** The organisation's right to a version now (it reads as its admin key would), or CONSENT_REQUIRED. */
  basis(kv: KV, record: string, version: number, purpose: Purpose): { basis: ReadBasis; ver: VersionState; patient: string } {
    const { records } = this.deps;
    const rec = records.record(kv, record);
    const ver = records.version(kv, record, version);
    return { basis: records.readBasis(kv, records.party(kv, this.deps.orgAdminKey), record, rec, ver, purpose, this.deps.clock.now()), ver, patient: rec.patient };
  }

  /** Decrypts a version with the organisation's envelope (after the consent check); the latest comes from memory when indexed. */
  async load(record: string, version: number, purpose: Purpose): Promise<Loaded> {
    const kv = this.deps.view();
    const { basis, ver, patient } = this.basis(kv, record, version, purpose);
    const cached = this.index.get(record);
    if (cached && cached.latest === version && cached.loaded.ver.tx === ver.tx) return { ...cached.loaded, basis, ver };
    const env = ver.envelopes.find((e) => e.to === this.orgEnc);
    if (!env) throw new SalusError('CONSENT_REQUIRED', `version ${version} of ${record} is not wrapped for this organisation's key yet`, { record, version });
    await this.deps.records.fetch([ver.content, env.blob]);
    const [content, envelope] = await Promise.all([this.deps.records.blob(ver.content), this.deps.records.blob(env.blob)]);
    if (!content || !envelope) throw new SalusError('BLOB_MISSING', `the ciphertext of ${record} v${version} is on no reachable node`);
    const plaintext = await openBlobs(content, envelope, this.deps.orgKeys.encryption.secretKey, recordAad(record, version, patient), this.deps.keyWrap);
    // a writer's plaintext is not checked by the ledger: what is not a FHIR resource is refused, not indexed
    let resource: Loaded['resource'];
    try {
      resource = parseFhir(new TextDecoder().decode(plaintext)) as Loaded['resource'];
    } catch (e) {
      throw new SalusError('INVALID_RESOURCE', `version ${version} of ${record} is not JSON: ${(e as Error).message}`, { record, version });
    }
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource) || typeof resource.resourceType !== 'string') {
      throw new SalusError('INVALID_RESOURCE', `version ${version} of ${record} is not a FHIR resource (no resourceType)`, { record, version });
    }
    return { resource, record, version, patient, basis, ver };
  }

  private refreshing: Promise<void> | undefined;
  /** records whose latest version could not be indexed for a passing reason (record → patient) */
  private readonly retry = new Map<string, string>();

  /**
   * Brings the in-memory index up to the records index's height, incrementally: versions written
   * since, and every record of a patient whose consent or envelopes changed since. Callers share one
   * refresh in flight, so none reads a half-built index.
   */
  async refresh(): Promise<void> {
    while (this.deps.records.index.indexedHeight !== this.indexedHeight) {
      this.refreshing ??= this.catchUp().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
  }

  private async catchUp(): Promise<void> {
    const target = this.deps.records.index.indexedHeight;
    const from = this.indexedHeight;
    const idx = this.deps.records.index;
    const candidates = new Map<string, string>();
    for (const [record, patient] of this.retry) candidates.set(record, patient);
    for (const v of idx.versionsSince(from)) candidates.set(v.record, v.patient);
    for (const patient of idx.consentChangesSince(from)) for (const v of idx.versionsOf(patient)) candidates.set(v.record, patient);
    const slices = new Slices();
    for (const [record, patient] of candidates) {
      await slices.next();
      try {
        // the view of the height now: a block may have committed during the last slice
        const rec = this.deps.records.record(this.deps.view(), record);
        // load checks the organisation's right and its envelope (CONSENT_REQUIRED: dropped below)
        const l = await this.load(record, rec.latest, 'treatment');
        this.put(record, { type: l.resource.resourceType, patient, latest: rec.latest, loaded: l, served: served(l), rec });
        this.retry.delete(record);
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
        if (PERMANENT.has(e.code)) {
          this.drop(record);
          this.retry.delete(record);
        } else {
          // a blob not replicated here yet, a peer that timed out: the old copy stays, and the
          // record is tried again at the next catch-up rather than left out of searches for good
          this.retry.set(record, patient);
        }
      }
    }
    this.indexedHeight = target;
  }

  private put(record: string, e: Entry): void {
    const old = this.index.get(record);
    if (old && (old.type !== e.type || old.patient !== e.patient)) this.drop(record);
    this.index.set(record, e);
    setOf(this.byType, e.type).add(record);
    setOf(this.byTypePatient, `${e.type}\0${e.patient}`).add(record);
  }

  private drop(record: string): void {
    const old = this.index.get(record);
    if (!old) return;
    this.index.delete(record);
    unset(this.byType, old.type, record);
    unset(this.byTypePatient, `${old.type}\0${old.patient}`, record);
  }

  /** Record ids of a type, optionally of one patient, in the index's order. */
  async ids(type: string, patient?: string): Promise<string[]> {
    await this.refresh();
    return [...((patient === undefined ? this.byType.get(type) : this.byTypePatient.get(`${type}\0${patient}`)) ?? [])];
  }

  /**
   * The latest versions of a type (of one patient) that pass `test` and that `purpose` may read
   * now. The test runs first, on the decrypted copy in memory, so consent is checked only for
   * matches; a record written since the index was brought up to date is decrypted on the spot.
   */
  async find(type: string, patient: string | undefined, purpose: Purpose, test: (r: ServedResource) => boolean): Promise<Found[]> {
    const out: Found[] = [];
    const ids = await this.ids(type, patient);
    const slices = new Slices();
    const look = () => {
      const kv = this.deps.view();
      // current: the index has seen every committed block, so each cached copy is its record's latest version
      return { kv, org: this.deps.records.party(kv, this.deps.orgAdminKey), current: this.indexedHeight === this.deps.lastHeight() };
    };
    let { kv, org, current } = look();
    const now = this.deps.clock.now();
    for (const record of ids) {
      if (slices.sliceDue()) {
        await slices.next();
        ({ kv, org, current } = look());
      }
      const cached = this.index.get(record);
      // the id lists are a snapshot: during a slice's pause a record may have changed type or patient
      if (cached && (cached.type !== type || (patient !== undefined && cached.patient !== patient))) continue;
      try {
        const latest = current && cached ? cached.latest : this.deps.records.record(kv, record).latest;
        if (cached && cached.latest === latest) {
          if (!test(cached.served)) continue;
          // consent at this height on the patient's state, with the record's and version's facts
          // that never change (patient, author, tags, emergency): no state read for the record
          const basis = this.deps.records.readBasis(kv, org, record, cached.rec, cached.loaded.ver, purpose, now);
          out.push({ loaded: { ...cached.loaded, basis }, served: cached.served });
          continue;
        }
        const l = await this.load(record, latest, purpose);
        ({ kv, org, current } = look()); // load waited on I/O: blocks may have committed meanwhile
        const r = served(l);
        if (l.resource.resourceType === type && (patient === undefined || l.patient === patient) && test(r)) out.push({ loaded: l, served: r });
      } catch (e) {
        if (!(e instanceof SalusError)) throw e; // consent changed since indexing: not a match
      }
    }
    return out;
  }

  typeOf(record: string): string | undefined {
    return this.index.get(record)?.type;
  }

  orgName(): string {
    return getOrg(this.deps.view(), this.deps.org)?.name ?? this.deps.org;
  }
}

function unset<K>(m: Map<K, Set<string>>, k: K, record: string): void {
  const s = m.get(k);
  if (s?.delete(record) && s.size === 0) m.delete(k);
}

function setOf<K>(m: Map<K, Set<string>>, k: K): Set<string> {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  return s;
}
