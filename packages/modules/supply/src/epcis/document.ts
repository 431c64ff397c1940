import { SalusError } from '@salus/core';
import { parseId, type Gs1Id } from './identifiers.js';
import { cbvWords, validateSchema } from './schema.js';

/**
 * An EPCISDocument as capture reads it: the text checked against GS1's schema, then each event's
 * identifiers parsed (syntax and check digits) and its CBV values checked, giving the facts the
 * ledger's rules need. The event itself is kept as it came, to be answered back by queries.
 */
export const CAPTURE_EVENTS_MAX = 500;
export const CAPTURE_BYTES_MAX = 200 * 1024;

export interface CapturedEvent {
  readonly index: number;
  readonly type: string;
  readonly action: 'ADD' | 'OBSERVE' | 'DELETE' | null;
  /** the CBV word (`shipping`), or the URI as given when it is not CBV's */
  readonly bizStep: string | null;
  readonly disposition: string | null;
  readonly eventTime: number;
  readonly eventID: string | null;
  /** the event's EPCs: epcList, or parentID and childEPCs, or inputs and outputs */
  readonly epcs: readonly Gs1Id[];
  readonly parent: Gs1Id | null;
  readonly children: readonly Gs1Id[];
  readonly outputs: readonly Gs1Id[];
  readonly readPoint: Gs1Id | null;
  readonly bizLocation: Gs1Id | null;
  readonly destinations: readonly { readonly type: string; readonly id: Gs1Id }[];
  readonly lot: string | null;
  /** YYYY-MM-DD */
  readonly expiry: string | null;
  /** the event as captured, with the document's context when it extends the standard one */
  readonly json: Record<string, unknown>;
}

export interface CapturedDocument {
  readonly events: readonly CapturedEvent[];
}

/** GS1's context, by its current and its versioned address */
const STANDARD_CONTEXT = /^https:\/\/ref\.gs1\.org\/standards\/epcis\/(?:2\.0\.0\/)?epcis-context\.jsonld$/;
const BIZ_STEPS = cbvWords('bizStep');
const DISPOSITIONS = cbvWords('disposition');
const CBV_URI: Record<'bizStep' | 'disposition', RegExp> = {
  bizStep: /^(?:https:\/\/ref\.gs1\.org\/cbv\/BizStep-|urn:epcglobal:cbv:bizstep:)(.*)$/,
  disposition: /^(?:https:\/\/ref\.gs1\.org\/cbv\/Disp-|urn:epcglobal:cbv:disp:)(.*)$/,
};

const invalid = (msg: string, event: number, field: string) => new SalusError('EPCIS_INVALID', `event ${event}: ${msg}`, { event, field, epcisException: 'ValidationException' });

function cbv(value: unknown, event: number, field: 'bizStep' | 'disposition'): string | null {
  if (typeof value !== 'string') return null;
  const words = field === 'bizStep' ? BIZ_STEPS : DISPOSITIONS;
  const m = CBV_URI[field].exec(value);
  if (!m) return value;
  if (!words.has(m[1]!)) throw invalid(`${value} is not a CBV ${field} (CBV has ${m[1]} nowhere)`, event, field);
  return m[1]!;
}

const ids = (x: unknown, event: number, field: string): Gs1Id[] =>
  Array.isArray(x) ? x.map((v, i) => (typeof v === 'string' ? parseId(v, `${field}[${i}]`) : null)).filter((v): v is Gs1Id => v !== null) : [];

function located(fn: () => Gs1Id[], event: number): Gs1Id[] {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SalusError && e.code === 'EPCIS_INVALID') throw new SalusError('EPCIS_INVALID', `event ${event}: ${e.message}`, { ...e.meta, event });
    throw e;
  }
}

function ilmdValue(ilmd: unknown, name: string): string | null {
  if (typeof ilmd !== 'object' || ilmd === null) return null;
  const r = ilmd as Record<string, unknown>;
  const x = r[`cbvmda:${name}`] ?? r[name] ?? r[`https://ref.gs1.org/cbv/${name}`];
  return typeof x === 'string' ? x : null;
}

function readEvent(e: Record<string, unknown>, index: number, extraContext: unknown[]): CapturedEvent {
  const at = (f: string) => `${f}`;
  const epcList = located(() => ids(e.epcList, index, at('epcList')), index);
  const children = located(() => ids(e.childEPCs, index, at('childEPCs')), index);
  const inputs = located(() => ids(e.inputEPCList, index, at('inputEPCList')), index);
  const outputs = located(() => ids(e.outputEPCList, index, at('outputEPCList')), index);
  const one = (v: unknown, f: string) => (typeof v === 'string' ? located(() => [parseId(v, f)], index)[0]! : null);
  const parent = one(e.parentID, 'parentID');
  const idOf = (x: unknown, f: string) => one((x as { id?: unknown } | undefined)?.id, f);
  const destinations = Array.isArray(e.destinationList)
    ? (e.destinationList as { type: string; destination: string }[]).map((d, i) => ({ type: cbvSourceDest(d.type), id: one(d.destination, `destinationList[${i}].destination`)! }))
    : [];
  const lot = ilmdValue(e.ilmd, 'lotNumber');
  const expiry = ilmdValue(e.ilmd, 'itemExpirationDate');
  if (expiry !== null && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) throw invalid(`itemExpirationDate ${expiry} is not YYYY-MM-DD`, index, 'ilmd.itemExpirationDate');
  const time = Date.parse(e.eventTime as string);
  if (!Number.isSafeInteger(time)) throw invalid('eventTime is not a date-time', index, 'eventTime');
  const json = extraContext.length > 0 ? { '@context': extraContext, ...e } : { ...e };
  return {
    index,
    type: e.type as string,
    action: (e.action as CapturedEvent['action'] | undefined) ?? null,
    bizStep: cbv(e.bizStep, index, 'bizStep'),
    disposition: cbv(e.disposition, index, 'disposition'),
    eventTime: time,
    eventID: typeof e.eventID === 'string' ? e.eventID : null,
    epcs: [...(parent ? [parent] : []), ...epcList, ...children, ...inputs, ...outputs],
    parent,
    children,
    outputs,
    readPoint: idOf(e.readPoint, 'readPoint.id'),
    bizLocation: idOf(e.bizLocation, 'bizLocation.id'),
    destinations,
    lot,
    expiry,
    json,
  };
}

const cbvSourceDest = (t: string) => t.replace(/^(?:https:\/\/ref\.gs1\.org\/cbv\/SDT-|urn:epcglobal:cbv:sdt:)/, '');

/** Parses and checks a capture document's text; throws EPCIS_INVALID or EPCIS_CAPTURE_LIMIT. */
export function readCaptureDocument(text: string): CapturedDocument {
  if (text.length > CAPTURE_BYTES_MAX) throw new SalusError('EPCIS_CAPTURE_LIMIT', `a capture document is at most ${CAPTURE_BYTES_MAX} bytes; this one has ${text.length}`, { limit: CAPTURE_BYTES_MAX, epcisException: 'CaptureLimitExceededException' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SalusError('EPCIS_INVALID', `the document is not JSON: ${(e as Error).message}`, { field: 'document', epcisException: 'ValidationException' });
  }
  const list = (doc as { epcisBody?: { eventList?: unknown } } | null)?.epcisBody?.eventList;
  if (Array.isArray(list) && list.length > CAPTURE_EVENTS_MAX) {
    throw new SalusError('EPCIS_CAPTURE_LIMIT', `a capture document holds at most ${CAPTURE_EVENTS_MAX} events; this one has ${list.length}`, { limit: CAPTURE_EVENTS_MAX, epcisException: 'CaptureLimitExceededException' });
  }
  validateSchema(doc);
  const d = doc as { type: string; '@context': unknown; epcisBody: { eventList: Record<string, unknown>[] } };
  if (d.type !== 'EPCISDocument') throw new SalusError('EPCIS_INVALID', `capture takes an EPCISDocument, not ${d.type}`, { field: 'type', epcisException: 'ValidationException' });
  const ctx = Array.isArray(d['@context']) ? d['@context'] : [d['@context']];
  const extra = ctx.filter((c) => typeof c !== 'string' || !STANDARD_CONTEXT.test(c));
  const events = d.epcisBody.eventList.map((e, i) => readEvent(e, i, extra));
  if (events.length === 0) throw new SalusError('EPCIS_INVALID', 'the document has no events', { field: 'epcisBody.eventList', epcisException: 'ValidationException' });
  return { events };
}
