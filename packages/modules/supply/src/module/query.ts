import { SalusError } from '@salus/core';
import type { KV } from '@salus/module';
import { parseId } from '../epcis/identifiers.js';
import { EVENT_PREFIX, epcIndexPrefix, eventKey, parentIndexPrefix, type StoredEvent } from './state.js';

/**
 * The EPCIS 2.0 query interface over the captured events (`GET /epcis/events`): the standard
 * parameters EQ_bizStep, MATCH_epc, MATCH_parentID, MATCH_anyEPC, GE_eventTime, LT_eventTime,
 * EQ_bizLocation, eventType and perPage, with nextPageToken for the next page. Results are EPCISQueryDocuments. Events are read in capture
 * order; a page token is the last sequence number answered.
 */
export const PER_PAGE_DEFAULT = 30;
export const PER_PAGE_MAX = 500;
/** events looked at per request at most: a sparse match answers a short page with a token */
const SCAN_MAX = 20_000;
const KNOWN = ['EQ_bizStep', 'MATCH_epc', 'MATCH_parentID', 'MATCH_anyEPC', 'GE_eventTime', 'LT_eventTime', 'EQ_bizLocation', 'perPage', 'nextPageToken', 'eventType'];

export interface EventQuery {
  readonly bizSteps?: readonly string[];
  /** identifier keys, each with the indexes to look them up in (MATCH_epc, MATCH_parentID, MATCH_anyEPC: any given matches) */
  readonly epcs?: readonly { readonly key: string; readonly index: (k: string) => string }[];
  readonly geTime?: number;
  readonly ltTime?: number;
  readonly bizLocations?: readonly string[];
  readonly eventTypes?: readonly string[];
  readonly perPage: number;
  readonly after: number;
}

const bad = (param: string, why: string) => new SalusError('EPCIS_QUERY', `query parameter ${param}: ${why}`, { field: param, epcisException: 'QueryParameterException' });
const list = (x: string | undefined) => (x === undefined ? undefined : x.split(',').map((s) => s.trim()).filter((s) => s !== ''));
const step = (s: string) => s.replace(/^(?:https:\/\/ref\.gs1\.org\/cbv\/BizStep-|urn:epcglobal:cbv:bizstep:)/, '');

function time(param: string, x: string | undefined): number | undefined {
  if (x === undefined) return undefined;
  const t = Date.parse(x);
  if (Number.isNaN(t)) throw bad(param, `${x} is not a date-time`);
  return t;
}

function idKey(param: string, x: string): string {
  try {
    return parseId(x, param).key;
  } catch (e) {
    throw bad(param, (e as Error).message);
  }
}

export function parseEventQuery(q: Record<string, string | undefined>): EventQuery {
  for (const k of Object.keys(q)) if (!KNOWN.includes(k)) throw bad(k, `not supported here; supported: ${KNOWN.join(', ')}`);
  const perPage = q.perPage === undefined ? PER_PAGE_DEFAULT : Number(q.perPage);
  if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > PER_PAGE_MAX) throw bad('perPage', `an integer from 1 to ${PER_PAGE_MAX}`);
  const after = q.nextPageToken === undefined ? 0 : Number(q.nextPageToken);
  if (!Number.isSafeInteger(after) || after < 0) throw bad('nextPageToken', 'not a token this node gave');
  const bizSteps = list(q.EQ_bizStep)?.map(step);
  const match = (param: string, indexes: ((k: string) => string)[]) => (list(q[param]) ?? []).flatMap((x) => indexes.map((index) => ({ key: idKey(param, x), index })));
  const epcMatches = [...match('MATCH_epc', [epcIndexPrefix]), ...match('MATCH_parentID', [parentIndexPrefix]), ...match('MATCH_anyEPC', [epcIndexPrefix, parentIndexPrefix])];
  const epcs = epcMatches.length > 0 ? epcMatches : undefined;
  const bizLocations = list(q.EQ_bizLocation)?.map((x) => idKey('EQ_bizLocation', x));
  const eventTypes = list(q.eventType);
  return { perPage, after, ...(bizSteps ? { bizSteps } : {}), ...(epcs ? { epcs } : {}), ...(bizLocations ? { bizLocations } : {}), ...(eventTypes ? { eventTypes } : {}), geTime: time('GE_eventTime', q.GE_eventTime), ltTime: time('LT_eventTime', q.LT_eventTime) };
}

/** Sequence numbers of the events naming an identifier, in order. */
export function eventsOf(kv: KV, idKeyValue: string, after: number, limit: number, index: (k: string) => string = epcIndexPrefix): number[] {
  const prefix = index(idKeyValue);
  return kv.list(prefix, { after: after > 0 ? `${prefix}${String(after).padStart(16, '0')}` : undefined, limit }).map(([k]) => Number(k.slice(prefix.length)));
}

function matches(e: StoredEvent, json: Record<string, unknown>, q: EventQuery): boolean {
  if (q.bizSteps && (e.bizStep === null || !q.bizSteps.includes(e.bizStep))) return false;
  if (q.bizLocations && (e.bizLocation === null || !q.bizLocations.includes(e.bizLocation))) return false;
  if (q.geTime !== undefined && e.eventTime < q.geTime) return false;
  if (q.ltTime !== undefined && e.eventTime >= q.ltTime) return false;
  if (q.eventTypes && !q.eventTypes.includes(json.type as string)) return false;
  return true;
}

/** The event as a query answers it: as captured, with its record time. */
export function answerEvent(e: StoredEvent): Record<string, unknown> {
  return { ...(JSON.parse(e.json) as Record<string, unknown>), recordTime: new Date(e.recordTime).toISOString() };
}

export function runEventQuery(kv: KV, q: EventQuery): { events: Record<string, unknown>[]; next?: number } {
  const out: Record<string, unknown>[] = [];
  let last = q.after;
  let scanned = 0;
  // with MATCH_epc the identifier index gives the candidates; otherwise every event in order
  const candidates = (after: number, limit: number): number[] =>
    q.epcs ? [...new Set(q.epcs.flatMap((m) => eventsOf(kv, m.key, after, limit, m.index)))].sort((a, b) => a - b).slice(0, limit) : kv.list(EVENT_PREFIX, { after: after > 0 ? eventKey(after) : undefined, limit }).map(([k]) => Number(k.slice(EVENT_PREFIX.length)));
  while (out.length < q.perPage && scanned < SCAN_MAX) {
    const seqs = candidates(last, 256);
    if (seqs.length === 0) return { events: out };
    for (const s of seqs) {
      scanned += 1;
      last = s;
      const e = kv.get(eventKey(s)) as StoredEvent;
      const json = JSON.parse(e.json) as Record<string, unknown>;
      if (matches(e, json, q)) out.push(answerEvent(e));
      if (out.length === q.perPage) break;
    }
  }
  const more = candidates(last, 1).length > 0;
  return more ? { events: out, next: last } : { events: out };
}
