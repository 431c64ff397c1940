import { SalusError } from '@salus/core';

/**
 * Search parameters of the clinical resources, evaluated in memory on decrypted resources (the
 * index holds types and patients only). Pure functions: parsing with typed errors, matching,
 * ordering, paging. Prefixes for dates follow FHIR (eq, ne, gt, ge, lt, le, with the value's
 * precision as its range: 2024-03 covers the whole month).
 */
export const CLINICAL_PARAMS = ['patient', 'subject', '_id', 'code', 'status', 'date', 'identifier', '_lastUpdated', '_count', '_offset', '_sort', '_summary', '_include'] as const;

type Resource = Record<string, unknown>;

export interface Criteria {
  readonly ids?: readonly string[];
  readonly code?: string;
  readonly status?: readonly string[];
  readonly identifier?: string;
  readonly date: readonly DateTest[];
  readonly lastUpdated: readonly DateTest[];
  readonly sort?: { readonly key: 'date' | '_lastUpdated'; readonly desc: boolean };
  readonly count: number;
  readonly offset: number;
  readonly summaryCount: boolean;
  readonly includePatient: boolean;
}

interface DateTest {
  readonly prefix: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
  readonly start: number;
  readonly end: number;
}

const DATE = /^(eq|ne|gt|ge|lt|le)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** A FHIR date search value as [start, end) in ms, by its precision. */
export function parseDateParam(name: string, v: string): DateTest {
  const m = DATE.exec(v);
  if (!m) throw new SalusError('INVALID_FIELD', `${name}=${v} is not a FHIR date (e.g. ge2024-03-01)`, { field: name });
  const [, prefix = 'eq', y, mo, d, h, mi, s, tz] = m;
  const Y = Number(y);
  const out = (x: string | undefined, lo: number, hi: number) => x !== undefined && (Number(x) < lo || Number(x) > hi);
  const dayOk = d === undefined || new Date(Date.UTC(Y, Number(mo) - 1, Number(d))).getUTCDate() === Number(d);
  if (out(mo, 1, 12) || out(d, 1, 31) || !dayOk || out(h, 0, 23) || out(mi, 0, 59) || out(s, 0, 59)) {
    throw new SalusError('INVALID_FIELD', `${name}=${v} is not a valid date`, { field: name });
  }
  let start: number;
  let end: number;
  if (mo === undefined) [start, end] = [Date.UTC(Y, 0, 1), Date.UTC(Y + 1, 0, 1)];
  else if (d === undefined) [start, end] = [Date.UTC(Y, Number(mo) - 1, 1), Date.UTC(Y, Number(mo), 1)];
  else if (h === undefined) [start, end] = [Date.UTC(Y, Number(mo) - 1, Number(d)), Date.UTC(Y, Number(mo) - 1, Number(d) + 1)];
  else {
    start = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${tz ?? 'Z'}`);
    end = start + (s === undefined ? 60_000 : 1000);
  }
  if (!Number.isFinite(start)) throw new SalusError('INVALID_FIELD', `${name}=${v} is not a valid date`, { field: name });
  return { prefix: prefix as DateTest['prefix'], start, end };
}

function testDate(t: DateTest, at: number | undefined): boolean {
  if (at === undefined) return false;
  switch (t.prefix) {
    case 'eq':
      return at >= t.start && at < t.end;
    case 'ne':
      return at < t.start || at >= t.end;
    case 'gt':
      return at >= t.end;
    case 'ge':
      return at >= t.start;
    case 'lt':
      return at < t.start;
    case 'le':
      return at < t.end;
  }
}

const many = (q: Record<string, unknown>, name: string): string[] => {
  const v = q[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
};

function single(q: Record<string, unknown>, name: string): string | undefined {
  const all = many(q, name);
  if (all.length > 1) throw new SalusError('INVALID_FIELD', `search parameter ${name} must be given once`, { field: name });
  return all[0];
}

function int(q: Record<string, unknown>, name: string, dflt: number, max: number): number {
  const v = single(q, name);
  if (v === undefined) return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw new SalusError('INVALID_FIELD', `${name} must be an integer from 0 to ${max}`, { field: name });
  return Number(v);
}

/**
 * Reads the criteria; unknown parameters are an error with `Prefer: handling=strict`, and ignored
 * (and named in the answer) with lenient handling, the default.
 */
export function parseCriteria(q: Record<string, unknown>, known: readonly string[], strict: boolean): { criteria: Criteria; ignored: string[] } {
  const ignored = Object.keys(q).filter((k) => !known.includes(k));
  if (strict && ignored.length > 0) throw new SalusError('INVALID_FIELD', `search parameter ${ignored[0]} is not supported here (see /metadata)`, { field: ignored[0] });
  const sort = single(q, '_sort');
  if (sort !== undefined && !['date', '-date', '_lastUpdated', '-_lastUpdated'].includes(sort)) throw new SalusError('INVALID_FIELD', '_sort takes date or _lastUpdated (- for descending)', { field: '_sort' });
  const summary = single(q, '_summary');
  if (summary !== undefined && summary !== 'count' && summary !== 'false') throw new SalusError('INVALID_FIELD', '_summary takes count or false here', { field: '_summary' });
  const include = single(q, '_include');
  if (include !== undefined && !/^[A-Za-z]+:(patient|subject)$/.test(include)) throw new SalusError('INVALID_FIELD', '_include takes <Type>:patient or <Type>:subject', { field: '_include' });
  const status = single(q, 'status');
  const ids = single(q, '_id');
  const code = single(q, 'code');
  const identifier = single(q, 'identifier');
  return {
    criteria: {
      ...(ids !== undefined ? { ids: ids.split(',') } : {}),
      ...(code !== undefined ? { code } : {}),
      ...(status !== undefined ? { status: status.split(',') } : {}),
      ...(identifier !== undefined ? { identifier } : {}),
      date: many(q, 'date').map((v) => parseDateParam('date', v)),
      lastUpdated: many(q, '_lastUpdated').map((v) => parseDateParam('_lastUpdated', v)),
      ...(sort !== undefined ? { sort: { key: sort.replace(/^-/, '') as 'date' | '_lastUpdated', desc: sort.startsWith('-') } } : {}),
      count: int(q, '_count', 50, 200),
      offset: int(q, '_offset', 0, 1_000_000),
      summaryCount: summary === 'count',
      includePatient: include !== undefined,
    },
    ignored,
  };
}

/** The clinical date of a resource, by type. */
export function clinicalDate(r: Resource): number | undefined {
  for (const f of ['effectiveDateTime', 'onsetDateTime', 'authoredOn', 'occurrenceDateTime', 'recordedDate', 'performedDateTime', 'issued', 'date']) {
    if (typeof r[f] === 'string') return Date.parse(r[f]);
  }
  const period = (r.effectivePeriod ?? r.period ?? r.performedPeriod) as { start?: string } | undefined;
  return typeof period?.start === 'string' ? Date.parse(period.start) : undefined;
}

function codings(r: Resource, fields: readonly string[]): { system?: string; code?: string }[] {
  return fields.flatMap((f) => (r[f] as { coding?: { system?: string; code?: string }[] } | undefined)?.coding ?? []);
}

const tokenMatch = (param: string, items: { system?: string; code?: string; value?: string }[], key: 'code' | 'value') =>
  param.split(',').some((p) => {
    const [system, code] = p.includes('|') ? p.split('|', 2) : [undefined, p];
    return items.some((c) => c[key] === code && (system === undefined || system === '' || c.system === system));
  });

/** Whether a served resource (with id and meta.lastUpdated) meets the criteria. */
export function matches(r: Resource & { id: string; meta: { lastUpdated: string } }, c: Criteria): boolean {
  if (c.ids && !c.ids.includes(r.id)) return false;
  if (c.code !== undefined && !tokenMatch(c.code, codings(r, ['code', 'vaccineCode', 'medicationCodeableConcept']), 'code')) return false;
  if (c.status) {
    const s = [r.status, ...codings(r, ['clinicalStatus']).map((x) => x.code)].filter((x): x is string => typeof x === 'string');
    if (!c.status.some((x) => s.includes(x))) return false;
  }
  if (c.identifier !== undefined && !tokenMatch(c.identifier, (r.identifier as { system?: string; value?: string }[] | undefined) ?? [], 'value')) return false;
  const at = clinicalDate(r);
  if (!c.date.every((t) => testDate(t, at))) return false;
  const updated = Date.parse(r.meta.lastUpdated);
  return c.lastUpdated.every((t) => testDate(t, updated));
}

export function order<T extends Resource & { meta: { lastUpdated: string } }>(rs: T[], c: Criteria): T[] {
  if (!c.sort) return rs;
  const key = (r: T) => (c.sort!.key === 'date' ? (clinicalDate(r) ?? -Infinity) : Date.parse(r.meta.lastUpdated));
  const sign = c.sort.desc ? -1 : 1;
  return [...rs].sort((a, b) => sign * (key(a) - key(b)));
}
