import { SalusError, fromHex, randomBytes, requestSignBytes, toHex, utf8ToBytes } from '@salus/core';
import type { Purpose } from './purposes.js';
import type { Receipt, SalusClient, TxResponse } from '../api.js';
import { Wallet } from '../wallet.js';
import type { DisclosureEntry, GrantInput, GranteeInput, PreparedWrite, ReadResponse, ReadResult, ScopeInput } from './types.js';
import { EMERGENCY_TYPES, blobHash, categoryLabel, codeLabel, newTagKey, recordAad, resourceLabels, sealBlobs, sealKeyring, tag, typeLabel } from './crypto.js';

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
/** writes of one batch prepared at once (encryption, recipients lookup, blob uploads) */
const PREPARE_CONCURRENCY = 8;

/**
 * Records for one party: a patient, a practitioner (with its organisation's wallet to open
 * organisation envelopes), or an application. Content is encrypted and decrypted here; nodes only
 * ever hold ciphertext, envelopes and hashes (docs/records.md).
 */
export class RecordsClient {
  private chainId: string | undefined;
  private readonly tagKeys = new Map<string, Uint8Array>();
  /** the highest commit this client caused or was told of: nodes answer its requests from at least that height */
  private minHeight = 0;

  /** Read-your-writes through any node: later requests wait until the node has committed `height`. */
  after(height: number): this {
    this.minHeight = Math.max(this.minHeight, height);
    return this;
  }

  /** The highest height this client has seen its own transactions commit at. */
  get height(): number {
    return this.minHeight;
  }

  constructor(
    readonly client: SalusClient,
    readonly wallet: Wallet,
    private readonly o: { orgWallet?: Wallet; purpose?: Purpose; patient?: string } = {},
  ) {}

  /**
   * A provider onboards a patient who has no wallet yet: it makes a custodial wallet, registers it
   * (identity onboard_patient, signed by a member of `org`), creates the keyring shared with the
   * organisation, and grants the organisation read and write for treatment. Later, handOver() moves
   * control to the patient's own keys.
   */
  static async onboard(client: SalusClient, member: Wallet, org: string, custodial: Wallet = Wallet.create(undefined, member.keyWrap)): Promise<RecordsClient> {
    await client.send(member, 'identity', 'onboard_patient', { org, signingKey: custodial.publicKeyHex, encryptionKey: toHex(custodial.encryptionPublicKey) });
    const rc = new RecordsClient(client, custodial);
    const orgKey = (await client.request<{ encryptionKey: string }>('GET', `/v1/identity/orgs/${org}`)).encryptionKey;
    await rc.setKeyring(newTagKey(), [orgKey]);
    await rc.grant({ id: `custody-${org}`.slice(0, 48), grantee: { org }, scope: 'all', actions: ['read', 'write'], purposes: ['treatment'] });
    return rc;
  }

  /**
   * Hands control of this patient to `next` (the patient's own wallet): the identity moves to the
   * new keys (the pseudonym stays), the keyring is re-sealed for them by the new wallet. The authoring
   * organisations then add envelopes for the new key with syncEnvelopes().
   */
  async handOver(next: Wallet): Promise<RecordsClient> {
    const patient = this.patientId;
    const tagKey = await this.tagKey(patient);
    const ring = (await this.get<{ keyring: { recipients: string[] } | null }>(`/v1/records/patients/${patient}`)).keyring;
    await this.send('handover_patient', { newSigningKey: next.publicKeyHex, newEncryptionKey: toHex(next.encryptionPublicKey) }, 'identity');
    const rc = new RecordsClient(this.client, next, { ...this.o, patient });
    const mine = toHex(this.wallet.encryptionPublicKey);
    await rc.setKeyring(tagKey, (ring?.recipients ?? []).filter((r) => r !== mine));
    return rc;
  }

  private nodeId: string | undefined;

  /** The chain id and the id of the node this client talks to (signed requests are addressed to it). */
  private async chain(): Promise<string> {
    if (this.chainId === undefined || this.nodeId === undefined) {
      const s = await this.client.status();
      this.chainId = s.chainId;
      this.nodeId = s.nodeId;
    }
    return this.chainId;
  }

  private async authed<T>(method: string, path: string, o: { purpose?: Purpose; raw?: Uint8Array } = {}): Promise<T> {
    const chainId = await this.chain();
    const bodyHash = o.raw ? blobHash(o.raw) : '';
    const authorization = this.wallet.authorization(chainId, { method, path, purpose: o.purpose ?? this.o.purpose ?? 'treatment', bodyHash, aud: this.nodeId! });
    const headers: Record<string, string> = { authorization };
    if (this.minHeight > 0) headers['salus-min-height'] = String(this.minHeight);
    return this.client.request<T>(method, path, { headers, ...(o.raw ? { raw: o.raw } : {}) });
  }

  /** A public GET of ledger state (no signature), from at least this client's height. */
  private get<T>(path: string): Promise<T> {
    return this.client.request<T>('GET', path, this.minHeight > 0 ? { headers: { 'salus-min-height': String(this.minHeight) } } : undefined);
  }

  private async send(type: string, payload: Record<string, unknown>, module = 'records'): Promise<Receipt> {
    const r = await this.client.send(this.wallet, module, type, payload as never);
    this.after(r.height);
    return r;
  }

  async uploadBlob(bytes: Uint8Array, patient: string): Promise<string> {
    const hash = blobHash(bytes);
    await this.authed('PUT', `/v1/blobs/${hash}?patient=${patient}`, { raw: bytes });
    return hash;
  }

  // ── the patient ──

  /** The patient this client acts as: derived from the wallet's key, or the pseudonym it took over. */
  get patientId(): string {
    return this.o.patient ?? this.wallet.patientId;
  }

  /** Registers this wallet as a patient and creates its keyring (the tag key that names record types and codes in grants). */
  async registerPatient(): Promise<string> {
    await this.send('register_patient', { encryptionKey: toHex(this.wallet.encryptionPublicKey) }, 'identity');
    await this.setKeyring(newTagKey(), []);
    return this.patientId;
  }

  /** Seals the tag key to the patient and the given encryption keys (writers) and puts it on the ledger. */
  async setKeyring(tagKey: Uint8Array, others: readonly string[]): Promise<void> {
    const patient = this.patientId;
    const recipients = [...new Set([toHex(this.wallet.encryptionPublicKey), ...others])];
    const bytes = await sealKeyring(tagKey, recipients.map((r) => fromHex(r, 32)), patient, this.wallet.keyWrap);
    const blob = await this.uploadBlob(bytes, patient);
    await this.send('set_keyring', { patient, blob, recipients });
    this.tagKeys.set(patient, tagKey);
  }

  async tagKey(patient: string): Promise<Uint8Array> {
    const have = this.tagKeys.get(patient);
    if (have) return have;
    const r = await this.authed<{ blob: string }>('GET', `/v1/records/patients/${patient}/keyring`);
    const bytes = fromB64(r.blob);
    let key: Uint8Array | undefined;
    for (const w of [this.wallet, this.o.orgWallet]) {
      if (!w) continue;
      try {
        key = await w.openKeyring(bytes, patient);
        break;
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
      }
    }
    if (!key) throw new SalusError('DECRYPTION_FAILED', `none of this party's keys opens the keyring of ${patient}`);
    this.tagKeys.set(patient, key);
    return key;
  }

  private async scopePayload(scope: ScopeInput): Promise<Record<string, unknown>> {
    if (scope === 'all') return { all: true };
    if ('records' in scope) return { records: scope.records };
    const k = await this.tagKey(this.patientId);
    if ('types' in scope) return { tags: scope.types.map((t) => tag(k, typeLabel(t))) };
    if ('codes' in scope) return { tags: scope.codes.map((c) => tag(k, codeLabel(c.type, c.system, c.code))) };
    return { tags: scope.categories.map((c) => tag(k, categoryLabel(c.type, c.system, c.code))) };
  }

  /**
   * Grants access. Takes effect at the next block on every node. With `read`, the patient's wallet
   * then wraps the data key of every existing version the grant covers for the grantee (later
   * versions are wrapped by their writers); with `write`, the keyring is shared with the grantee.
   */
  /** The records/grant payload of a grant (tags computed with the patient's tag key). */
  async grantPayload(g: GrantInput): Promise<{ patient: string; id: string; actions: ('read' | 'write')[] } & Record<string, unknown>> {
    const until = g.until === undefined ? null : typeof g.until === 'number' ? g.until : g.until.getTime();
    return { patient: this.patientId, id: g.id ?? `g-${toHex(randomBytes(8))}`, grantee: g.grantee, scope: await this.scopePayload(g.scope), actions: g.actions ?? ['read'], purposes: g.purposes ?? ['treatment'], until };
  }

  async grant(g: GrantInput): Promise<{ id: string; receipt: Receipt; rewrapped: number; height: number }> {
    const payload = await this.grantPayload(g);
    const { id, actions } = payload;
    const receipt = await this.send('grant', payload);
    const granteeKey = await this.granteeEncryptionKey(g.grantee);
    if (actions.includes('write')) {
      const ring = (await this.get<{ keyring: { recipients: string[] } | null }>(`/v1/records/patients/${this.patientId}`)).keyring;
      await this.setKeyring(await this.tagKey(this.patientId), [...(ring?.recipients ?? []), granteeKey]);
    }
    const rewrapped = actions.includes('read') ? await this.syncEnvelopes(this.patientId) : 0;
    return { id, receipt, rewrapped, height: this.minHeight };
  }

  private async granteeEncryptionKey(g: GranteeInput): Promise<string> {
    if ('key' in g) return g.encryptionKey;
    return (await this.client.request<{ encryptionKey: string }>('GET', `/v1/identity/orgs/${g.org}`)).encryptionKey;
  }

  /** Narrows (re-issues) a grant under the same id: the new terms replace the old at the next block. */
  narrow(id: string, g: Omit<GrantInput, 'id'>): Promise<{ id: string; receipt: Receipt; rewrapped: number; height: number }> {
    return this.grant({ ...g, id });
  }

  revoke(id: string): Promise<Receipt> {
    return this.send('revoke', { patient: this.patientId, id });
  }

  /** Crypto-shredding: every node deletes this patient's ciphertexts and envelopes. */
  erase(): Promise<Receipt> {
    return this.send('erase', { patient: this.patientId });
  }

  /**
   * Adds envelopes for every party now entitled to a version of `patient` that lacks one: the
   * patient's wallet does this after a grant; an authoring organisation after a hand-over. Uses
   * this party's own envelope (the read is disclosed like any other).
   */
  async syncEnvelopes(patient: string): Promise<number> {
    const { versions } = await this.list(patient);
    let added = 0;
    for (const v of versions) {
      const { versions: all } = await this.get<{ versions: { tags: string[]; envelopes: { to: string }[]; emergency: boolean }[] }>(`/v1/records/${v.record}`);
      const meta = all[v.version - 1]!;
      const q = `record=${v.record}&tags=${meta.tags.join(',')}&emergency=${meta.emergency}`;
      const { recipients } = await this.authed<{ recipients: string[] }>('GET', `/v1/records/patients/${patient}/recipients?${q}`);
      const have = new Set(meta.envelopes.map((e) => e.to));
      const want = recipients.filter((r) => !have.has(r));
      if (want.length === 0) continue;
      const r = await this.authed<ReadResponse>('GET', `/v1/records/${v.record}/versions/${v.version}`, { purpose: 'patient-request' });
      const aad = recordAad(v.record, v.version, patient);
      const envelopes = await Promise.all(
        want.map(async (to) => {
          const env = await this.withMyEnvelope(r, (w, bytes) => w.rewrap(bytes, fromHex(to, 32), aad));
          return { to, blob: await this.uploadBlob(env, patient) };
        }),
      );
      await this.send('add_envelopes', { record: v.record, version: v.version, envelopes });
      added += envelopes.length;
    }
    return added;
  }

  /** The accounting of disclosures, each entry's transaction proven against the validators' commit. */
  async disclosures(o: { verify?: boolean; fromHeight?: number; pageSize?: number } = {}): Promise<DisclosureEntry[]> {
    const entries: DisclosureEntry[] = [];
    let cursor: string | null = `fromHeight=${o.fromHeight ?? 0}`;
    while (cursor) {
      const page: { entries: DisclosureEntry[]; next: string | null } = await this.authed('GET', `/v1/records/patients/${this.patientId}/disclosures?${cursor}&limit=${o.pageSize ?? 1000}`, { purpose: 'patient-request' });
      entries.push(...page.entries);
      cursor = page.next ? `after=${page.next}` : null;
    }
    if (o.verify === false) return entries;
    const byTx = new Map<string, TxResponse>();
    const out: DisclosureEntry[] = [];
    for (const e of entries) {
      let proven = byTx.get(e.tx);
      if (!proven) {
        proven = await this.client.verifiedTx(e.tx);
        byTx.set(e.tx, proven);
      }
      const payload = (proven.decoded as { payload: Record<string, unknown> }).payload;
      let detail: Record<string, unknown> | undefined;
      if (e.kind.startsWith('read:')) {
        const t = (payload.entries as unknown[][])[e.seq];
        if (!t || t[0] !== this.patientId) throw new SalusError('BAD_PROOF', `the proven transaction ${e.tx} does not hold this disclosure`);
        const [patient, record, version, reader, purpose, at, nonce, sig, basis] = t as [string, string, number, string, string, number, string, string, string];
        // the reader's own signature over the request the serving node (the batch's signer) answered
        const signer = (proven.decoded as { signer: string }).signer;
        const claims = { method: 'GET', path: `/v1/records/${record}/versions/${version}`, at, nonce, purpose, bodyHash: '', aud: signer };
        // a FHIR read by bearer token carries no request signature: the node attests it under the token's id
        const via = sig === '' ? 'token' : 'signed-request';
        const readerSigned = via === 'signed-request' && this.client.ed.verify(fromHex(reader, 32), requestSignBytes(await this.chain(), claims), fromHex(sig, 64));
        detail = { patient, record, version, reader, purpose, at, nonce, sig, basis, servedBy: signer, via, readerSigned };
      } else if (payload.patient !== undefined && payload.patient !== this.patientId) {
        throw new SalusError('BAD_PROOF', `the proven transaction ${e.tx} is about another patient`);
      }
      out.push({ ...e, proven, ...(detail ? { detail } : {}) });
    }
    return out;
  }

  // ── writers and readers ──

  /**
   * Writes a FHIR resource for a patient as a new record (or a new version of `record`): encrypts it
   * under a fresh data key wrapped to the patient, this party's organisation and every live grantee,
   * uploads the blobs, and commits the write.
   */
  async write(patient: string, resource: Record<string, unknown>, o: { record?: string; emergency?: boolean; json?: string } = {}): Promise<{ record: string; version: number; receipt: Receipt }> {
    const w = await this.prepareWrite(patient, resource, o);
    const receipt = await this.send('write', w as unknown as Record<string, unknown>);
    return { record: w.record, version: w.version, receipt };
  }

  /**
   * Writes several resources in one transaction, all or nothing (a FHIR transaction Bundle): each
   * is encrypted and uploaded first; `id` gives a new record the id the caller chose (so that
   * references between the resources can name each other before they exist).
   */
  async writeBatch(items: readonly { patient: string; resource: Record<string, unknown>; record?: string; id?: string; emergency?: boolean; json?: string }[]): Promise<{ writes: PreparedWrite[]; receipt: Receipt }> {
    // prepared a few at a time: each is a recipients lookup and blob uploads, mostly waiting on the node
    const writes: PreparedWrite[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) writes[i] = await this.prepareWrite(items[i]!.patient, items[i]!.resource, items[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(PREPARE_CONCURRENCY, items.length) }, worker));
    const receipt = await this.send('write_batch', { writes: writes as unknown as Record<string, unknown>[] });
    return { writes, receipt };
  }

  /** Encrypts a resource for everyone entitled to it, uploads the blobs, and returns the write to submit. */
  /** `json`: the resource's JSON text as it should be stored (e.g. with decimals' precision kept); else JSON.stringify of it. */
  async prepareWrite(patient: string, resource: Record<string, unknown>, o: { record?: string; id?: string; emergency?: boolean; json?: string } = {}): Promise<PreparedWrite> {
    const tagKey = await this.tagKey(patient);
    const tags = resourceLabels(resource).map((l) => tag(tagKey, l));
    const emergency = o.emergency ?? (EMERGENCY_TYPES as readonly string[]).includes(resource.resourceType as string);
    let record = o.record;
    let version = 1;
    if (record) version = (await this.get<{ latest: number }>(`/v1/records/${record}`)).latest + 1;
    else record = o.id ?? `rec-${toHex(randomBytes(16))}`;
    const q = `${o.record ? `record=${record}&` : ''}tags=${tags.join(',')}&emergency=${emergency}`;
    const { recipients } = await this.authed<{ recipients: string[] }>('GET', `/v1/records/patients/${patient}/recipients?${q}`);
    const plaintext = utf8ToBytes(o.json ?? JSON.stringify(resource));
    const sealed = await sealBlobs(plaintext, recipients.map((r) => fromHex(r, 32)), recordAad(record, version, patient), this.wallet.keyWrap);
    const [content, ...blobs] = await Promise.all([sealed.content, ...sealed.envelopes.map((e) => e.bytes)].map((b) => this.uploadBlob(b, patient)));
    const envelopes = sealed.envelopes.map((e, i) => ({ to: e.to, blob: blobs[i]! }));
    return { patient, record, version, content: content!, size: sealed.content.length, tags, envelopes, emergency };
  }

  private async withMyEnvelope<T>(r: ReadResponse, f: (w: Wallet, envelope: Uint8Array) => Promise<T>): Promise<T> {
    for (const w of [this.wallet, this.o.orgWallet]) {
      if (!w) continue;
      const env = r.envelopes.find((e) => e.to === toHex(w.encryptionPublicKey));
      if (env) return f(w, fromB64(env.bytes));
    }
    throw new SalusError('DECRYPTION_FAILED', `no envelope of ${r.record} v${r.version} is for a key this party holds`);
  }

  /** Reads and decrypts a record version (the latest if none is given). The node records the disclosure first. */
  async read<T = Record<string, unknown>>(record: string, o: { version?: number; purpose?: Purpose } = {}): Promise<ReadResult<T>> {
    const version = o.version ?? (await this.get<{ latest: number }>(`/v1/records/${record}`)).latest;
    const r = await this.authed<ReadResponse>('GET', `/v1/records/${record}/versions/${version}`, o.purpose ? { purpose: o.purpose } : {});
    const content = fromB64(r.content.bytes);
    if (blobHash(content) !== r.content.hash) throw new SalusError('HASH_MISMATCH', 'the node sent a ciphertext that does not match the hash on the ledger');
    const plaintext = await this.withMyEnvelope(r, (w, env) => w.openRecord(content, env, recordAad(record, version, r.patient)));
    const resource = JSON.parse(new TextDecoder().decode(plaintext)) as T;
    return { resource, record, version, latest: r.latest, patient: r.patient, basis: r.basis, emergency: r.emergency, height: r.height, tx: r.tx };
  }

  list(patient: string, purpose?: Purpose): Promise<{ versions: { record: string; version: number; latest: boolean; height: number; emergency: boolean; basis: string }[] }> {
    return this.authed('GET', `/v1/records/patients/${patient}/records`, purpose ? { purpose } : {});
  }

  /** Break-glass: a key with the emergency role opens time-limited access to the patient's emergency data set. */
  breakGlass(patient: string, reason: string, durationMs = 4 * 3600_000): Promise<Receipt> {
    return this.send('break_glass', { patient, reason, durationMs });
  }
}

