import { SalusError, type IdentityKeys, type KeyWrap, type Purpose } from '@salus/core';
import { openBlobs, recordAad } from '@salus/client';
import type { KV } from '../app/kv.js';
import type { RecordsService } from '../modules/records/service.js';
import { getRecord, getVersion, party, readBasis, type ReadBasis, type VersionState } from '../modules/records/state.js';
import { getOrg } from '../modules/identity/state.js';
import { parseFhir } from './json.js';

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

interface Entry {
  readonly type: string;
  readonly patient: string;
  readonly latest: number;
  /** the latest version, decrypted: plaintext kept in memory only, so that searches decrypt nothing */
  readonly loaded: Loaded;
}

export class FhirResources {
  private readonly index = new Map<string, Entry>();
  private indexedHeight = 0;
  private readonly orgEnc: string;

  constructor(private readonly deps: { records: RecordsService; view: () => KV; org: string; orgKeys: IdentityKeys; orgAdminKey: string; keyWrap: KeyWrap; lastHeight: () => number }) {
    this.orgEnc = Buffer.from(deps.orgKeys.encryption.publicKey).toString('hex');
  }

  /** The organisation's right to a version now (it reads as its admin key would), or CONSENT_REQUIRED. */
  basis(kv: KV, record: string, version: number, purpose: Purpose): { basis: ReadBasis; ver: VersionState; patient: string } {
    const rec = getRecord(kv, record);
    const ver = getVersion(kv, record, version);
    return { basis: readBasis(kv, party(kv, this.deps.orgAdminKey), record, rec, ver, purpose, Date.now()), ver, patient: rec.patient };
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
    const [content, envelope] = await Promise.all([this.deps.records.blobs.get(ver.content), this.deps.records.blobs.get(env.blob)]);
    if (!content || !envelope) throw new SalusError('BLOB_MISSING', `the ciphertext of ${record} v${version} is on no reachable node`);
    const plaintext = await openBlobs(content, envelope, this.deps.orgKeys.encryption.secretKey, recordAad(record, version, patient), this.deps.keyWrap);
    const resource = parseFhir(new TextDecoder().decode(plaintext)) as Loaded['resource'];
    return { resource, record, version, patient, basis, ver };
  }

  private refreshing: Promise<void> | undefined;

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
    for (const v of idx.versionsSince(from)) candidates.set(v.record, v.patient);
    for (const patient of idx.consentChangesSince(from)) for (const v of idx.versionsOf(patient)) candidates.set(v.record, patient);
    const kv = this.deps.view();
    for (const [record, patient] of candidates) {
      const latest = getRecord(kv, record).latest;
      try {
        this.basis(kv, record, latest, 'treatment');
        if (!getVersion(kv, record, latest).envelopes.some((e) => e.to === this.orgEnc)) {
          this.index.delete(record);
          continue;
        }
        const l = await this.load(record, latest, 'treatment');
        this.index.set(record, { type: l.resource.resourceType, patient, latest, loaded: l });
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
        this.index.delete(record);
      }
    }
    this.indexedHeight = target;
  }

  /** Record ids of a type, optionally of one patient, in ledger order. */
  async ids(type: string, patient?: string): Promise<string[]> {
    await this.refresh();
    const out: string[] = [];
    for (const [id, e] of this.index) if (e.type === type && (patient === undefined || e.patient === patient)) out.push(id);
    return out;
  }

  typeOf(record: string): string | undefined {
    return this.index.get(record)?.type;
  }

  orgName(): string {
    return getOrg(this.deps.view(), this.deps.org)?.name ?? this.deps.org;
  }
}

