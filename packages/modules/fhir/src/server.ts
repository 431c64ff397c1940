import './errors.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SalusError } from '@salus/core';
import { versionKey, type RecordsReader } from '@salus/records';
import { capability } from './capability.js';
import { parseFhir, rawOf, writeAnswer } from './json.js';
import { batch, transaction } from './bundles.js';
import { createConsent } from './consent-write.js';
import type { Served } from './directory.js';
import type { FhirAuth, FhirCaller } from './auth.js';
import type { FhirResources, Loaded } from './resources.js';
import { allows, type Interaction } from './scopes.js';
import { operationOutcome, sendOutcome } from './outcome.js';
import { FhirWriter } from './writes.js';
import { asResource, disclose, isDeleted, latestOf, one, purposeOf, readClinical, readOne, resolveRecord, search, type SearchResult } from './reads.js';
import type { BlockReader, KV, LedgerView, WallClock } from '@salus/module';

/**
 * The FHIR R4 REST API of a node, first part (ADR 0006): capability statement, read, vread,
 * instance history and type search (by patient, _id, code, _count) of the clinical resources its
 * organisation may read, and the directory (Organization, Practitioner) from the identity module.
 * Every resource served is a disclosure on the ledger, queued before the response leaves.
 */
export const CLINICAL_TYPES = ['Patient', 'Observation', 'Condition', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'Encounter', 'DiagnosticReport', 'DocumentReference'] as const;
const DIRECTORY_TYPES = ['Organization', 'Practitioner'] as const;
/** Views of ledger facts about a patient: searched by patient only */
const LEDGER_VIEW_TYPES = ['Consent', 'AuditEvent'] as const;
const FHIR_JSON = 'application/fhir+json';
/** entries of one Bundle (a transaction's writes go in one ledger transaction) */
const BUNDLE_MAX = 100;

export interface FhirDeps {
  readonly auth: FhirAuth;
  readonly writer: FhirWriter;
  readonly resources: FhirResources;
  readonly records: RecordsReader;
  readonly view: () => KV;
  /** the node's clock: the rate limit's buckets and the disclosures' times */
  readonly clock: WallClock;
  readonly log: (msg: string, ctx: object) => void;
  /** the node's own API, for the proofs of $verify */
  readonly apiUrl: () => string;
  /** the committed blocks AuditEvents are read from */
  readonly blocks: BlockReader;
  /** where a Consent's signed grant is submitted and its commit awaited */
  readonly chain: LedgerView;
  /** requests a client key may make per second (token bucket of twice that) */
  readonly requestsPerSecond: number;
}

const clinical = (t: string): t is (typeof CLINICAL_TYPES)[number] => (CLINICAL_TYPES as readonly string[]).includes(t);

export function fhirRoutes(app: FastifyInstance, d: FhirDeps, base = '/fhir/R4'): void {
  app.register(
    async (f) => {
      f.setErrorHandler((err, _req, reply) => sendOutcome(reply, err, d.log));
      f.setReplySerializer((payload) => writeAnswer(payload));
      f.setNotFoundHandler((req, reply) => sendOutcome(reply, new SalusError('NOT_FOUND', `no FHIR route ${req.method} ${req.url.split('?')[0]}`), d.log));

      // FHIR's media type (and plain JSON, which some clients send); anything else is 415
      f.addContentTypeParser(['application/fhir+json', 'application/json'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
        try {
          done(null, parseFhir(body as string));
        } catch {
          done(new SalusError('MALFORMED_ENCODING', 'the body is not JSON'), undefined);
        }
      });

      // Bundles at the base URL (clients post to it with and without the trailing slash)
      const bundles = async (req: FastifyRequest, reply: FastifyReply) => {
        const caller = await d.auth.authenticate(req);
        const b = req.body as { type?: unknown } | undefined;
        if (b?.type === 'batch') return reply.type(FHIR_JSON).send(await batch(app, req, req.body, BUNDLE_MAX));
        const result = await transaction(
          {
            clinical,
            bundleMax: BUNDLE_MAX,
            current: async (c, type, id) => {
              const record = await resolveRecord(d, type, id);
              const l = await d.resources.load(record, latestOf(d, record), purposeOf(c));
              if (l.resource.resourceType !== type) throw new SalusError('NOT_FOUND', `no ${type} ${id}`);
              return { record, version: l.version, patient: l.patient };
            },
            matchIds: async (c, type, query) => (await search(d, c, type, Object.fromEntries(new URLSearchParams(query)), true)).entries.map((r) => r.id),
            writeBatch: (items) => d.writer.writeBatch(items),
          },
          caller,
          req.body,
        );
        return reply.type(FHIR_JSON).send(result);
      };
      f.post('/', bundles);

      f.get('/metadata', async (_req, reply) => reply.type(FHIR_JSON).send(capability(d.resources.orgName(), CLINICAL_TYPES, DIRECTORY_TYPES, LEDGER_VIEW_TYPES, d.clock.now())));

      f.post<{ Params: { type: string } }>('/:type', async (req, reply) => {
        if (req.params.type === 'Consent') {
          const caller = await d.auth.authenticate(req);
          if (!allows(caller.scopes, 'Consent', 'c')) throw new SalusError('FORBIDDEN', "the token's scopes do not allow creating a Consent");
          const created = await createConsent({ chain: d.chain, view: d.view, records: d.records, commitWaitMs: 30_000 }, FhirWriter.check(req.body, 'Consent'));
          return reply.status(201).header('location', `/fhir/R4/Consent/${created.id}`).type(FHIR_JSON).send(created);
        }
        const caller = await guard(req, req.params.type, 'c', true);
        const ifNoneExist = req.headers['if-none-exist'];
        let found: Served | undefined;
        const unless =
          typeof ifNoneExist === 'string'
            ? async () => {
                const f = await search(d, caller, req.params.type, Object.fromEntries(new URLSearchParams(ifNoneExist)), true);
                if (f.total > 1) throw new SalusError('PRECONDITION_FAILED', `If-None-Exist matches ${f.total} resources`);
                found = f.entries[0];
                return found?.id;
              }
            : undefined;
        const w = await d.writer.create(req.params.type, req.body, unless);
        if (w.existing !== undefined && found) return respond(req, reply, 200, found);
        if (/return=minimal/.test(String(req.headers.prefer ?? ''))) {
          // nothing to send back, so nothing is read (or disclosed)
          const id = req.params.type === 'Patient' ? w.patient : w.record;
          return reply.status(201).header('location', `/fhir/R4/${req.params.type}/${id}/_history/${w.version}`).header('etag', `W/"${w.version}"`).send();
        }
        return respond(req, reply, 201, asResource(await readClinical(d, caller, req.params.type, w.record, w.version)));
      });

      f.put<{ Params: { type: string; id: string } }>('/:type/:id', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'u', true);
        const body = FhirWriter.check(req.body, req.params.type);
        if (body.id !== req.params.id) throw new SalusError('INVALID_FIELD', `the body's id (${String(body.id)}) differs from the URL's (${req.params.id})`);
        const record = await resolveRecord(d, req.params.type, req.params.id);
        const current = await d.resources.load(record, latestOf(d, record), purposeOf(caller));
        const ifMatch = req.headers['if-match'];
        if (typeof ifMatch === 'string' && ifMatch.replace(/^W\//, '').replace(/"/g, '') !== String(current.version)) {
          throw new SalusError('PRECONDITION_FAILED', `If-Match names version ${ifMatch}; the current version is ${current.version}`);
        }
        const w = await d.writer.update(record, current.patient, body);
        return respond(req, reply, 200, asResource(await readClinical(d, caller, req.params.type, record, w.version)));
      });

      // conditional update: PUT Type?search — one match is updated, none is a create, several is 412
      f.put<{ Params: { type: string }; Querystring: Record<string, unknown> }>('/:type', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'u', true);
        if (Object.keys(req.query).length === 0) throw new SalusError('INVALID_FIELD', 'a conditional update names its search: PUT Type?param=value');
        const body = FhirWriter.check(req.body, req.params.type);
        let existing: string | undefined;
        const w = await d.writer.create(req.params.type, { ...body, id: undefined }, async () => {
          const f = await search(d, caller, req.params.type, req.query, true);
          if (f.total > 1) throw new SalusError('PRECONDITION_FAILED', `the conditional update matches ${f.total} resources`);
          existing = f.entries[0]?.id;
          return existing;
        });
        if (existing === undefined) return respond(req, reply, 201, asResource(await readClinical(d, caller, req.params.type, w.record, w.version)));
        if (body.id !== undefined && body.id !== existing) throw new SalusError('INVALID_FIELD', `the body's id (${String(body.id)}) is not the matched resource's (${existing})`);
        const record = await resolveRecord(d, req.params.type, existing);
        const current = await d.resources.load(record, latestOf(d, record), purposeOf(caller));
        const u = await d.writer.update(record, current.patient, { ...body, id: existing });
        return respond(req, reply, 200, asResource(await readClinical(d, caller, req.params.type, record, u.version)));
      });

      // type history: every version of every resource of the type this caller may read, newest first
      f.get<{ Params: { type: string }; Querystring: Record<string, unknown> }>('/:type/_history', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'r');
        if (!clinical(req.params.type)) throw new SalusError('METHOD_NOT_ALLOWED', `${req.params.type} has no history here: it is a view`);
        const count = Number(one(req.query, '_count') ?? 50);
        if (!Number.isSafeInteger(count) || count < 1 || count > 200) throw new SalusError('INVALID_FIELD', '_count must be 1-200');
        const versions: Loaded[] = [];
        const ids = await d.resources.ids(req.params.type, caller.kind === 'patient' ? caller.patient! : undefined);
        for (const id of ids) {
          for (let v = latestOf(d, id); v >= 1; v--) {
            const l = await d.resources.load(id, v, purposeOf(caller)).catch(() => undefined);
            if (l && l.resource.resourceType === req.params.type) versions.push(l);
          }
        }
        versions.sort((a, b) => b.ver.height - a.ver.height || b.version - a.version);
        const page = versions.slice(0, count);
        await disclose(d, caller, page);
        return reply.type(FHIR_JSON).send({ ...bundle('history', page.map(asResource), req.url), total: versions.length });
      });

      f.delete<{ Params: { type: string; id: string } }>('/:type/:id', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'd', true);
        const record = await resolveRecord(d, req.params.type, req.params.id);
        const current = await d.resources.load(record, latestOf(d, record), purposeOf(caller));
        if (!isDeleted(current.resource)) await d.writer.remove(record, current.patient, req.params.type);
        return reply.status(204).send();
      });

      f.get<{ Params: { type: string; id: string } }>('/:type/:id', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'r');
        return send(reply, await readOne(d, caller, req.params.type, req.params.id));
      });

      f.get<{ Params: { type: string; id: string; vid: string } }>('/:type/:id/_history/:vid', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'r');
        if (!/^[1-9][0-9]{0,14}$/.test(req.params.vid)) throw new SalusError('INVALID_FIELD', 'a versionId is a positive integer');
        if (!clinical(req.params.type)) throw new SalusError('METHOD_NOT_ALLOWED', `${req.params.type} is a view of the identity module: it has no versions here`);
        return send(reply, await readOne(d, caller, req.params.type, req.params.id, Number(req.params.vid)));
      });

      // $verify: the ledger's proofs for a version (the write's inclusion in a committed block, and
      // the version's entry in the state tree), which the client SDK checks offline against the
      // validators' signatures (SalusClient's verifyTxResponse / verifyStateResponse)
      f.get<{ Params: { type: string; id: string } }>('/:type/:id/$verify', async (req, reply) => proofs(req, reply, req.params.type, req.params.id));
      f.get<{ Params: { type: string; id: string; vid: string } }>('/:type/:id/_history/:vid/$verify', async (req, reply) => proofs(req, reply, req.params.type, req.params.id, req.params.vid));

      f.get<{ Params: { type: string; id: string } }>('/:type/:id/_history', async (req, reply) => {
        const caller = await guard(req, req.params.type, 'r');
        if (!clinical(req.params.type)) throw new SalusError('NOT_FOUND', `${req.params.type} has no history here: it is a view of the identity module`);
        const record = await resolveRecord(d, req.params.type, req.params.id);
        const versions: Loaded[] = [];
        for (let v = latestOf(d, record); v >= 1; v--) {
          const l = await d.resources.load(record, v, purposeOf(caller));
          if (l.resource.resourceType !== req.params.type || (caller.kind === 'patient' && l.patient !== caller.patient)) throw new SalusError('NOT_FOUND', `no ${req.params.type} ${req.params.id}`);
          versions.push(l);
        }
        await disclose(d, caller, versions);
        return reply.type(FHIR_JSON).send(bundle('history', versions.map(asResource), req.url));
      });

      f.get<{ Params: { type: string }; Querystring: Record<string, unknown> }>('/:type', async (req, reply) => {
        const caller = await guard(req, req.params.type, 's');
        const strict = /handling\s*=\s*strict/.test(String(req.headers.prefer ?? ''));
        const found = await search(d, caller, req.params.type, req.query, strict, req.url);
        return reply.type(FHIR_JSON).send(searchBundle(found, req.url));
      });
    },
    { prefix: base },
  );

  async function proofs(req: FastifyRequest, reply: FastifyReply, type: string, id: string, vid?: string): Promise<FastifyReply> {
    const caller = await guard(req, type, 'r');
    if (!clinical(type)) throw new SalusError('NOT_FOUND', `${type} is a view of the identity module: prove it with /v1/state`);
    if (vid !== undefined && !/^[1-9][0-9]{0,14}$/.test(vid)) throw new SalusError('INVALID_FIELD', 'a versionId is a positive integer');
    const record = await resolveRecord(d, type, id);
    const version = vid === undefined ? latestOf(d, record) : Number(vid);
    const l = await d.resources.load(record, version, purposeOf(caller));
    if (l.resource.resourceType !== type || (caller.kind === 'patient' && l.patient !== caller.patient)) throw new SalusError('NOT_FOUND', `no ${type} ${id}`);
    const get = async (path: string) => {
      const r = await fetch(`${d.apiUrl()}${path}`);
      if (!r.ok) throw new SalusError('TIMEOUT', `the proof is not available yet (${r.status}); retry after the next block`);
      return r.json() as Promise<unknown>;
    };
    const [transaction, state] = await Promise.all([get(`/v1/txs/${l.ver.tx}`), get(`/v1/state?key=${encodeURIComponent(versionKey(record, version))}`)]);
    return reply.type(FHIR_JSON).send({
      resourceType: 'Parameters',
      parameter: [
        { name: 'record', valueString: record },
        { name: 'version', valueUnsignedInt: version },
        { name: 'ciphertextHash', valueString: l.ver.content },
        { name: 'transaction', valueString: JSON.stringify(transaction) },
        { name: 'state', valueString: JSON.stringify(state) },
      ],
    });
  }

  const buckets = new Map<string, { tokens: number; at: number }>();
  /** A token bucket per client key: past it, 429 with Retry-After, as FHIR servers answer load. */
  function throttle(caller: FhirCaller): void {
    const now = d.clock.now();
    const cap = d.requestsPerSecond * 2;
    const b = buckets.get(caller.clientKey) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) / 1000) * d.requestsPerSecond);
    b.at = now;
    if (b.tokens < 1) throw new SalusError('TOO_MANY_REQUESTS', `this client made more than ${d.requestsPerSecond} requests a second; retry shortly`, { retryAfterS: 1 });
    b.tokens -= 1;
    buckets.set(caller.clientKey, b);
    if (buckets.size > 100_000) for (const [k, x] of buckets) if (now - x.at > 60_000) buckets.delete(k);
  }

  async function guard(req: FastifyRequest, type: string, interaction: Interaction, write = false): Promise<FhirCaller> {
    const view = (LEDGER_VIEW_TYPES as readonly string[]).includes(type);
    if (!clinical(type) && !view && !(DIRECTORY_TYPES as readonly string[]).includes(type)) throw new SalusError('NOT_FOUND', `resource type ${type} is not served here (see /metadata)`);
    if (view && interaction !== 's') throw new SalusError('METHOD_NOT_ALLOWED', `${type} is a view of ledger facts: search it by patient (Consents change through grants in the records module)`);
    if (write && !clinical(type)) throw new SalusError('METHOD_NOT_ALLOWED', `${type} is a view of the identity module: it changes through governance and identity transactions`);
    const caller = await d.auth.authenticate(req);
    throttle(caller);
    if (!allows(caller.scopes, type, interaction)) throw new SalusError('FORBIDDEN', `the token's scopes do not allow ${interaction} on ${type}`);
    return caller;
  }
}


function respond(req: FastifyRequest, reply: FastifyReply, status: number, r: Served): FastifyReply {
  const meta = r.meta as { versionId: string; lastUpdated: string };
  reply.header('location', `/fhir/R4/${r.resourceType}/${r.id}/_history/${meta.versionId}`);
  reply.header('etag', `W/"${meta.versionId}"`).header('last-modified', new Date(meta.lastUpdated).toUTCString());
  const prefer = String(req.headers.prefer ?? '');
  if (prefer.includes('return=minimal')) return reply.status(status).send();
  if (prefer.includes('return=OperationOutcome')) return reply.status(status).type(FHIR_JSON).send({ ...operationOutcome('OK', `${r.resourceType}/${r.id} version ${meta.versionId}`), issue: [{ severity: 'information', code: 'informational', diagnostics: `${r.resourceType}/${r.id} version ${meta.versionId}` }] });
  return reply.status(status).type(FHIR_JSON).send(r);
}

function send(reply: FastifyReply, r: Served | Loaded): FastifyReply {
  const resource = asResource(r);
  const meta = resource.meta as { versionId?: string; lastUpdated?: string } | undefined;
  if (meta?.versionId) reply.header('etag', `W/"${meta.versionId}"`);
  if (meta?.lastUpdated) reply.header('last-modified', new Date(meta.lastUpdated).toUTCString());
  return reply.type(FHIR_JSON).send(resource);
}

function searchBundle(f: SearchResult, self: string) {
  const entry = [
    ...f.entries.map((resource) => ({ fullUrl: `${resource.resourceType}/${resource.id}`, resource: rawOf(resource), search: { mode: 'match' } })),
    ...f.included.map((resource) => ({ fullUrl: `${resource.resourceType}/${resource.id}`, resource: rawOf(resource), search: { mode: 'include' } })),
    ...(f.ignored.length > 0 ? [{ resource: { ...operationOutcome('INVALID_FIELD', `ignored search parameters: ${f.ignored.join(', ')}`), issue: [{ severity: 'warning', code: 'not-supported', diagnostics: `ignored search parameters: ${f.ignored.join(', ')}` }] }, search: { mode: 'outcome' } }] : []),
  ];
  // FHIR JSON has no empty arrays: a count-only or empty result has no entry at all
  return { resourceType: 'Bundle', type: 'searchset', total: f.total, link: [{ relation: 'self', url: self }, ...(f.next ? [{ relation: 'next', url: f.next }] : [])], ...(entry.length > 0 ? { entry } : {}) };
}

function bundle(type: 'searchset' | 'history', resources: readonly Served[], self: string) {
  return {
    resourceType: 'Bundle',
    type,
    total: resources.length,
    link: [{ relation: 'self', url: self }],
    entry: resources.map((resource) =>
      type === 'history' && isDeleted(resource)
        ? { fullUrl: `${resource.resourceType}/${resource.id}`, request: { method: 'DELETE', url: `${resource.resourceType}/${resource.id}` }, response: { status: '410', lastModified: (resource.meta as { lastUpdated: string }).lastUpdated } }
        : { fullUrl: `${resource.resourceType}/${resource.id}`, resource, ...(type === 'searchset' ? { search: { mode: 'match' } } : {}) },
    ),
  };
}
