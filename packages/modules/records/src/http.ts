import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalusError, type Ed25519, type SignedRequest } from '@salus/core';
import { PURPOSES, isPurpose, type Purpose } from '@salus/client';
import { getOrg } from '@salus/identity';
import type { RecordsIndex } from './index-db.js';
import type { DisclosureRecorder } from './disclosures.js';
import { PATIENT_ID, RECORD_ID, RECORDS_LIMITS } from './payloads.js';
import {
  type Party,
  actingOrg,
  allowedRecipients,
  getPatient,
  getRecord,
  getVersion,
  isThePatient,
  party,
  patientRecords,
  readBasis,
  requireNotErased,
} from './state.js';
import { RequestGuard, UploadQuota, type BlobStore, type KV, type WallClock } from '@salus/module';

export interface RecordsHttpDeps {
  readonly chainId: string;
  /** this node's id: signed requests must be addressed to it */
  readonly nodeId: string;
  readonly uploadBytesPerHour: number;
  readonly ed: Ed25519;
  /** committed state (cached per height) */
  readonly view: () => KV;
  readonly blobs: BlobStore;
  readonly index: RecordsIndex;
  readonly disclosures: DisclosureRecorder;
  /** fetch blobs this node lacks from its peers */
  readonly fetch: (hashes: string[]) => Promise<void>;
  readonly requestSkewMs: number;
  /** the node's clock: request skew, upload quotas and consent expiry are judged by it */
  readonly clock: WallClock;
  readonly waitForHeight: (height: number) => Promise<void>;
  readonly onRead?: (basis: string) => void;
  readonly onRefused?: (code: string) => void;
}

/** SHA-256 of an upload, hex: Node's native hash (as the blob store's), since uploads are up to megabytes. */
const blobSha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** The X25519 keys a party can decrypt with: its own, its organisation's, and an application key's from its grants. */
function partyEncryptionKeys(kv: KV, p: Party, patient: string): Set<string> {
  const out = new Set<string>();
  if (p.rec) out.add(p.rec.encryptionKey);
  const org = actingOrg(p);
  if (org) {
    const o = getOrg(kv, org);
    if (o) out.add(o.encryptionKey);
  }
  for (const g of patientRecords(kv, patient).grants) if ('key' in g.grantee && g.grantee.key === p.key) out.add(g.grantee.encryptionKey);
  return out;
}

/**
 * The records API: upload of ciphertext and envelope blobs, the consent-checked read of a record
 * version (its disclosure queued before it is served), listings, the keyring, and the patient's
 * accounting of disclosures. Every route here takes a signed request (core/request-auth.ts).
 */
export function recordsRoutes(app: FastifyInstance, d: RecordsHttpDeps): void {
  const guard = new RequestGuard({ chainId: d.chainId, nodeId: d.nodeId, ed: d.ed, skewMs: d.requestSkewMs, noncesMax: 500_000, clock: d.clock });
  const quota = new UploadQuota({ bytesPerWindow: d.uploadBytesPerHour, windowMs: 3600_000, clock: d.clock });
  const auth = (req: FastifyRequest, bodyHash = ''): SignedRequest & { purpose: Purpose } => {
    const who = guard.check(req, bodyHash);
    if (!isPurpose(who.purpose)) throw new SalusError('INVALID_FIELD', `purpose must be one of ${PURPOSES.join(', ')}`, { purpose: who.purpose });
    return { ...who, purpose: who.purpose };
  };
  /** Query parameters of one value each, as strings (a repeated parameter is an error, not a crash). */
  const q = (req: FastifyRequest, name: string): string | undefined => {
    const v = (req.query as Record<string, unknown>)[name];
    if (v === undefined || typeof v === 'string') return v;
    throw new SalusError('INVALID_FIELD', `query parameter ${name} must be given once`, { field: name });
  };
  const view = d.view;
  const patientParam = (p: string) => {
    if (!PATIENT_ID.test(p)) throw new SalusError('INVALID_FIELD', 'patient must be pat-<32 hex>', { field: 'patient' });
    return p;
  };
  /** A signed request about one patient: who asks, the patient, committed state, the asking party. */
  const patientRequest = (req: FastifyRequest<{ Params: { id: string } }>, refuseErased: boolean) => {
    const who = auth(req);
    const patient = patientParam(req.params.id);
    const kv = view();
    if (refuseErased) requireNotErased(patientRecords(kv, patient), patient);
    return { who, patient, kv, p: party(kv, who.key) };
  };
  const recordParam = (r: string) => {
    if (!RECORD_ID.test(r)) throw new SalusError('INVALID_FIELD', 'record must be rec-<32 hex>', { field: 'record' });
    return r;
  };

  app.addHook('preHandler', async (req) => {
    const h = req.headers['salus-min-height'];
    if (h === undefined || !(req.url.startsWith('/v1/records') || req.url.startsWith('/v1/blobs'))) return;
    const height = Number(h);
    if (!Number.isSafeInteger(height) || height < 0) throw new SalusError('INVALID_FIELD', 'Salus-Min-Height must be a block height');
    await d.waitForHeight(height);
  });

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: RECORDS_LIMITS.contentBytesMax + 64 * 1024 }, (_req, body, done) => done(null, body));

  app.put<{ Params: { hash: string }; Querystring: { patient?: string } }>(
    '/v1/blobs/:hash',
    {
      bodyLimit: RECORDS_LIMITS.contentBytesMax + 64 * 1024,
      schema: { tags: ['records'], summary: 'Upload a ciphertext or envelope blob (application/octet-stream) under its SHA-256, for a patient', params: { type: 'object', properties: { hash: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new SalusError('UNSUPPORTED_MEDIA_TYPE', 'send the blob as application/octet-stream');
      const bytes = new Uint8Array(req.body);
      const hash = blobSha256(bytes);
      if (hash !== req.params.hash) throw new SalusError('HASH_MISMATCH', `the body hashes to ${hash.slice(0, 16)}…, not to the address it was sent to`);
      const who = auth(req, hash);
      const patient = patientParam(q(req, 'patient') ?? '');
      const kv = view();
      getPatient(kv, patient);
      requireNotErased(patientRecords(kv, patient), patient);
      const p = party(kv, who.key);
      if (!p.rec) throw new SalusError('UNREGISTERED_SIGNER', 'only registered keys upload blobs');
      quota.take(who.key, bytes.length);
      await d.blobs.put(hash, bytes, patient);
      return reply.status(201).send({ hash, size: bytes.length });
    },
  );

  app.get<{ Params: { id: string; version: string } }>(
    '/v1/records/:id/versions/:version',
    { schema: { tags: ['records'], summary: 'Read a record version: consent checked, disclosure queued, then ciphertext and your envelope' } },
    async (req) => {
      try {
        return await readVersion(req);
      } catch (e) {
        if (e instanceof SalusError) d.onRefused?.(e.code);
        throw e;
      }
    },
  );

  async function readVersion(req: FastifyRequest<{ Params: { id: string; version: string } }>) {
    const who = auth(req);
    const id = recordParam(req.params.id);
    // one spelling of each read's path, so that the patient can check the reader's signature from the disclosure alone
    if (!/^[1-9][0-9]{0,14}$/.test(req.params.version) || req.url !== `/v1/records/${id}/versions/${req.params.version}`) {
      throw new SalusError('INVALID_FIELD', 'read /v1/records/<record>/versions/<version> with the version as a plain positive integer and no query');
    }
    const version = Number(req.params.version);
    const kv = view();
    const rec = getRecord(kv, id);
    const ver = getVersion(kv, id, version);
    const p = party(kv, who.key);
    const basis = readBasis(kv, p, id, rec, ver, who.purpose, d.clock.now());
    const keys = partyEncryptionKeys(kv, p, rec.patient);
    const envs = ver.envelopes.filter((e) => keys.has(e.to));
    if (envs.length === 0) throw new SalusError('NOT_FOUND', `version ${version} of ${id} has no envelope for this party's keys yet`, { record: id, version });
    d.disclosures.admit();
    const hashes = [ver.content, ...envs.map((e) => e.blob)];
    let got = await Promise.all(hashes.map((h) => d.blobs.get(h)));
    if (got.some((b) => !b)) {
      await d.fetch(hashes.filter((_, i) => !got[i]));
      got = await Promise.all(hashes.map((h) => d.blobs.get(h)));
    }
    if (got.some((b) => !b)) throw new SalusError('BLOB_MISSING', `the ciphertext of ${id} v${version} is on no reachable node`, { record: id, version });
    await d.disclosures.record({ patient: rec.patient, record: id, version, reader: who.key, purpose: who.purpose, at: who.at, nonce: who.nonce, sig: who.sig, basis });
    d.onRead?.(basis);
    return {
      record: id,
      version,
      patient: rec.patient,
      latest: rec.latest,
      basis,
      author: ver.author,
      org: ver.org,
      emergency: ver.emergency,
      height: ver.height,
      time: new Date(ver.time).toISOString(),
      tx: ver.tx,
      content: { hash: ver.content, bytes: b64(got[0]!) },
      envelopes: envs.map((e, i) => ({ to: e.to, hash: e.blob, bytes: b64(got[i + 1]!) })),
    };
  }

  app.get<{ Params: { id: string } }>('/v1/records/patients/:id/keyring', { schema: { tags: ['records'], summary: "The patient's sealed keyring (tag key), for its recipients" } }, async (req) => {
    const who = auth(req);
    const patient = patientParam(req.params.id);
    const kv = view();
    const pr = patientRecords(kv, patient);
    requireNotErased(pr, patient);
    if (!pr.keyring) throw new SalusError('NOT_FOUND', `patient ${patient} has no keyring yet`);
    const keys = partyEncryptionKeys(kv, party(kv, who.key), patient);
    if (!pr.keyring.recipients.some((r) => keys.has(r))) throw new SalusError('CONSENT_REQUIRED', "the patient's keyring is not shared with this party");
    await d.fetch([pr.keyring.blob]);
    const bytes = await d.blobs.get(pr.keyring.blob);
    if (!bytes) throw new SalusError('BLOB_MISSING', 'the keyring blob is on no reachable node');
    return { patient, blob: b64(bytes), height: pr.keyring.height, recipients: pr.keyring.recipients };
  });

  app.get<{ Params: { id: string }; Querystring: { record?: string; tags?: string; emergency?: string } }>(
    '/v1/records/patients/:id/recipients',
    { schema: { tags: ['records'], summary: 'The encryption keys a new version must or may be wrapped to (patient, author, live grantees)' } },
    async (req) => {
      const { patient, kv, p } = patientRequest(req, true);
      const given = q(req, 'record');
      const record = given ? recordParam(given) : 'rec-00000000000000000000000000000000';
      const existing = given ? (kv.get(`records/rec/${record}`) as { org: string | null } | undefined) : undefined;
      const tags = (q(req, 'tags') ?? '').split(',').filter((t) => /^[0-9a-f]{64}$/.test(t));
      const set = allowedRecipients(kv, { patient, record, tags, emergency: q(req, 'emergency') === 'true', org: existing?.org ?? actingOrg(p), writer: p.rec, now: d.clock.now() });
      const org = actingOrg(p);
      if (org) set.add(getOrg(kv, org)!.encryptionKey);
      return { patient, required: getPatient(kv, patient).encryptionKey, recipients: [...set] };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { purpose?: string } }>(
    '/v1/records/patients/:id/records',
    { schema: { tags: ['records'], summary: "The record versions of a patient this party may read (ids and heights only; nothing is disclosed)" } },
    async (req) => {
      const { who, patient, kv, p } = patientRequest(req, true);
      const now = d.clock.now();
      const out = [];
      for (const v of d.index.versionsOf(patient)) {
        const rec = getRecord(kv, v.record);
        const ver = getVersion(kv, v.record, v.version);
        try {
          const basis = readBasis(kv, p, v.record, rec, ver, who.purpose, now);
          out.push({ record: v.record, version: v.version, latest: rec.latest === v.version, height: v.height, emergency: ver.emergency, basis, org: ver.org });
        } catch (e) {
          if (!(e instanceof SalusError) || e.code !== 'CONSENT_REQUIRED') throw e;
        }
      }
      return { patient, versions: out };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { fromHeight?: string; after?: string; limit?: string } }>(
    '/v1/records/patients/:id/disclosures',
    { schema: { tags: ['records'], summary: "The patient's accounting of disclosures: every records transaction that touched them, with its ledger coordinates" } },
    async (req) => {
      const { patient, kv, p } = patientRequest(req, false);
      if (!isThePatient(kv, p, patient)) throw new SalusError('NOT_THE_PATIENT', 'only the patient reads their accounting of disclosures');
      const from = Number(q(req, 'fromHeight') ?? 0);
      const limit = Number(q(req, 'limit') ?? 1000);
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(limit) || from < 0 || limit < 1 || limit > 10_000) throw new SalusError('INVALID_FIELD', 'fromHeight must be a height and limit 1-10000');
      let after = { height: from - 1, index: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
      const cursor = q(req, 'after');
      if (cursor !== undefined) {
        const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(cursor);
        if (!m) throw new SalusError('INVALID_FIELD', 'after must be the "next" cursor of a previous page (height.index.seq)');
        after = { height: Number(m[1]), index: Number(m[2]), seq: Number(m[3]) };
      }
      const entries = d.index.logOf(patient, after, limit);
      const last = entries.at(-1);
      // a full page has a cursor to the next one
      const next = entries.length === limit && last ? `${last.height}.${last.index}.${last.seq}` : null;
      return { patient, entries, next, indexedHeight: d.index.indexedHeight, pending: d.index.pendingCount };
    },
  );
}
