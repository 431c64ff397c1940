import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalusError } from '@salus/core';
import type { FhirCaller } from './auth.js';
import { allows, type Interaction } from './scopes.js';
import { patientOf, tombstone, validate } from './writes.js';
import { isNumber, parseFhir, stringifyFhir } from './json.js';

/**
 * Bundles posted to the base URL. A batch runs each entry as the request it describes (through
 * the same routes, with the caller's token), independently. A transaction is all or nothing: every
 * entry is checked first (scopes, validation, If-Match, conditional references), `urn:uuid`
 * references between entries are rewritten to the ids the new records will have, and all writes go
 * in one ledger transaction (records/write_batch), committed in one block or not at all.
 */
type Resource = Record<string, unknown> & { resourceType: string };
interface Entry {
  readonly fullUrl?: string;
  readonly resource?: Resource;
  readonly request?: { method?: string; url?: string; ifNoneExist?: string; ifMatch?: string };
}

export interface TransactionDeps {
  readonly clinical: (type: string) => boolean;
  /** record id of a resource id, its latest version and patient (consent checked) */
  readonly current: (caller: FhirCaller, type: string, id: string) => Promise<{ record: string; version: number; patient: string }>;
  /** ids of the resources a conditional reference or If-None-Exist matches */
  readonly matchIds: (caller: FhirCaller, type: string, query: string) => Promise<string[]>;
  readonly writeBatch: (items: { patient: string; resource: Resource; record?: string; id?: string; tombstone?: boolean }[]) => Promise<{ versions: number[]; height: number }>;
  readonly bundleMax: number;
}

function parseBundle(body: unknown, bundleMax: number): { type: 'batch' | 'transaction'; entries: Entry[] } {
  const b = body as { resourceType?: unknown; type?: unknown; entry?: unknown };
  if (typeof b !== 'object' || b === null || b.resourceType !== 'Bundle') throw new SalusError('INVALID_RESOURCE', 'POST to the base URL takes a Bundle');
  if (b.type !== 'batch' && b.type !== 'transaction') throw new SalusError('INVALID_RESOURCE', `a Bundle of type ${String(b.type)} is not processed here: batch or transaction`);
  const entries = (b.entry ?? []) as Entry[];
  if (!Array.isArray(entries) || entries.length > bundleMax) throw new SalusError('INVALID_RESOURCE', `a Bundle holds at most ${bundleMax} entries`);
  return { type: b.type, entries };
}

const splitUrl = (url: string | undefined) => {
  const [path = '', query] = (url ?? '').split('?', 2);
  const [type = '', id] = path.replace(/^\/+/, '').split('/');
  return { type, id, query };
};

export async function batch(app: FastifyInstance, req: FastifyRequest, body: unknown, bundleMax: number) {
  const { type, entries } = parseBundle(body, bundleMax);
  if (type !== 'batch') throw new SalusError('INVALID_RESOURCE', 'internal: not a batch');
  const out = [];
  for (const e of entries) {
    const method = (e.request?.method ?? '').toUpperCase();
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method) || !e.request?.url) {
      out.push({ response: { status: '400 Bad Request', outcome: outcome('INVALID_RESOURCE', 'each entry needs request.method (GET, POST, PUT, DELETE) and request.url') } });
      continue;
    }
    const headers: Record<string, string> = { authorization: String(req.headers.authorization ?? '') };
    if (e.request.ifNoneExist) headers['if-none-exist'] = e.request.ifNoneExist;
    if (e.request.ifMatch) headers['if-match'] = e.request.ifMatch;
    if (e.resource) headers['content-type'] = 'application/fhir+json';
    const res = await app.inject({ method: method as 'GET', url: `/fhir/R4/${e.request.url.replace(/^\/+/, '')}`, headers, ...(e.resource ? { payload: stringifyFhir(e.resource) } : {}) });
    const parsed = res.body ? (parseFhir(res.body) as Resource) : undefined;
    const ok = res.statusCode < 400;
    out.push({
      ...(ok && parsed ? { resource: parsed } : {}),
      response: {
        status: String(res.statusCode),
        ...(res.headers.location ? { location: String(res.headers.location) } : {}),
        ...(res.headers.etag ? { etag: String(res.headers.etag) } : {}),
        ...(!ok && parsed ? { outcome: parsed } : {}),
      },
    });
  }
  return { resourceType: 'Bundle', type: 'batch-response', ...(out.length > 0 ? { entry: out } : {}) };
}

function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { text: code }, diagnostics }] };
}

/** Rewrites every `reference` equal to a key of `map` (urn:uuid:… or a conditional reference). */
function rewrite(x: unknown, map: ReadonlyMap<string, string>): unknown {
  if (isNumber(x)) return x;
  if (Array.isArray(x)) return x.map((v) => rewrite(v, map));
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewrite(v, map);
    return out;
  }
  return x;
}

function references(x: unknown, acc: string[] = []): string[] {
  if (isNumber(x)) return acc;
  if (Array.isArray(x)) for (const v of x) references(v, acc);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'reference' && typeof v === 'string') acc.push(v);
      else references(v, acc);
    }
  }
  return acc;
}

export async function transaction(d: TransactionDeps, caller: FhirCaller, body: unknown) {
  const { type, entries } = parseBundle(body, d.bundleMax);
  if (type !== 'transaction') throw new SalusError('INVALID_RESOURCE', 'internal: not a transaction');
  const need = (t: string, i: Interaction) => {
    if (!d.clinical(t)) throw new SalusError('INVALID_RESOURCE', `a transaction here writes clinical resources; ${t} is not one`);
    if (t === 'Patient') throw new SalusError('INVALID_RESOURCE', 'create or update Patients on their own: onboarding takes several ledger transactions');
    if (!allows(caller.scopes, t, i)) throw new SalusError('FORBIDDEN', `the token's scopes do not allow ${i} on ${t}`);
  };
  // 1. new ids for the entries that create, and the conditional references resolved
  const map = new Map<string, string>();
  const plan: { kind: 'create' | 'update' | 'delete'; type: string; id: string; entry: Entry; record?: string; skip?: boolean }[] = [];
  for (const e of entries) {
    const method = (e.request?.method ?? '').toUpperCase();
    const { type: t, id } = splitUrl(e.request?.url);
    if (method === 'POST') {
      need(t, 'c');
      if (e.resource?.resourceType !== t) throw new SalusError('INVALID_RESOURCE', `an entry POSTs a ${String(e.resource?.resourceType)} to ${t}`);
      if (e.request?.ifNoneExist) {
        const found = await d.matchIds(caller, t, e.request.ifNoneExist);
        if (found.length > 1) throw new SalusError('PRECONDITION_FAILED', `ifNoneExist of an entry matches ${found.length} resources`);
        if (found.length === 1) {
          if (e.fullUrl) map.set(e.fullUrl, `${t}/${found[0]}`);
          plan.push({ kind: 'create', type: t, id: found[0]!, entry: e, skip: true });
          continue;
        }
      }
      const newId = `rec-${randomBytes(16).toString('hex')}`;
      if (e.fullUrl) map.set(e.fullUrl, `${t}/${newId}`);
      plan.push({ kind: 'create', type: t, id: newId, entry: e });
    } else if (method === 'PUT' || method === 'DELETE') {
      need(t, method === 'PUT' ? 'u' : 'd');
      if (!id) throw new SalusError('INVALID_RESOURCE', `a ${method} entry names Type/id`);
      plan.push({ kind: method === 'PUT' ? 'update' : 'delete', type: t, id, entry: e });
    } else throw new SalusError('INVALID_RESOURCE', `an entry's request.method must be POST, PUT or DELETE in a transaction (not ${method || 'missing'})`);
  }
  for (const e of entries) {
    for (const ref of references(e.resource)) {
      const m = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(ref);
      if (!m || map.has(ref)) continue;
      const found = await d.matchIds(caller, m[1]!, m[2]!);
      if (found.length !== 1) throw new SalusError('PRECONDITION_FAILED', `the conditional reference ${ref} matches ${found.length} resources, not one`);
      map.set(ref, `${m[1]}/${found[0]}`);
    }
    for (const ref of references(e.resource)) if (ref.startsWith('urn:uuid:') && !map.has(ref)) throw new SalusError('INVALID_RESOURCE', `${ref} names no entry of this Bundle`);
  }
  // 2. every write checked before any is made
  const items: { patient: string; resource: Resource; record?: string; id?: string; tombstone?: boolean }[] = [];
  const order: number[] = [];
  for (const [i, p] of plan.entries()) {
    if (p.skip) continue;
    if (p.kind === 'create') {
      const resource = rewrite(p.entry.resource, map) as Resource;
      validate(resource);
      items.push({ patient: patientOf(resource), resource, id: p.id });
    } else {
      const cur = await d.current(caller, p.type, p.id);
      const ifMatch = p.entry.request?.ifMatch;
      if (ifMatch && ifMatch.replace(/^W\//, '').replace(/"/g, '') !== String(cur.version)) throw new SalusError('PRECONDITION_FAILED', `${p.type}/${p.id}: ifMatch ${ifMatch}, current version ${cur.version}`);
      if (p.kind === 'delete') items.push({ patient: cur.patient, resource: tombstone(p.type, cur.patient), record: cur.record, tombstone: true });
      else {
        const resource = rewrite(p.entry.resource, map) as Resource;
        if (resource.resourceType !== p.type || resource.id !== p.id) throw new SalusError('INVALID_RESOURCE', `the entry for ${p.type}/${p.id} holds ${String(resource.resourceType)}/${String(resource.id)}`);
        validate(resource);
        if (patientOf(resource) !== cur.patient) throw new SalusError('INVALID_RESOURCE', 'a resource cannot move to another patient');
        items.push({ patient: cur.patient, resource, record: cur.record });
      }
    }
    order.push(i);
  }
  // 3. one ledger transaction
  const written = items.length > 0 ? await d.writeBatch(items) : { versions: [], height: 0 };
  const versionOf = new Map(order.map((planIndex, k) => [planIndex, written.versions[k]!]));
  return {
    resourceType: 'Bundle',
    type: 'transaction-response',
    ...(plan.length > 0
      ? {
          entry: plan.map((p, i) => {
            const v = versionOf.get(i);
            if (p.skip) return { response: { status: '200 OK', location: `${p.type}/${p.id}` } };
            if (p.kind === 'delete') return { response: { status: '204 No Content' } };
            return { response: { status: p.kind === 'create' ? '201 Created' : '200 OK', location: `${p.type}/${p.id}/_history/${v}`, etag: `W/"${v}"` } };
          }),
        }
      : {}),
  };
}
