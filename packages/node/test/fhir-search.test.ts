import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SalusError } from '@salus/core';
import { matches, order, parseCriteria, parseDateParam } from '@salus/fhir';

/** FHIR search semantics on decrypted resources: date precision and prefixes, tokens, sorting, bad values. */
describe('FHIR search parameters', () => {
  it('a date value covers its precision: year, month, day, minute', () => {
    const y = parseDateParam('date', '2024');
    expect([new Date(y.start).toISOString(), new Date(y.end).toISOString()]).toEqual(['2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    const m = parseDateParam('date', 'ge2024-02');
    expect([m.prefix, new Date(m.end).toISOString()]).toEqual(['ge', '2024-03-01T00:00:00.000Z']);
    const t = parseDateParam('date', 'lt2024-02-29T10:30+02:00');
    expect([t.prefix, new Date(t.start).toISOString()]).toEqual(['lt', '2024-02-29T08:30:00.000Z']);
    for (const bad of ['yesterday', '2024-13', 'xx2024', '24-01-01', '']) expect(() => parseDateParam('date', bad)).toThrow(SalusError);
  });

  it('prefixes agree with plain comparisons (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), (a, b) => {
        const day = b.toISOString().slice(0, 10);
        const start = Date.parse(`${day}T00:00:00Z`);
        const r = { id: 'x', meta: { lastUpdated: a.toISOString() }, effectiveDateTime: a.toISOString() };
        const at = a.getTime();
        const test = (prefix: string) => matches(r, parseCriteria({ date: `${prefix}${day}` }, ['date'], true).criteria);
        expect(test('eq')).toBe(at >= start && at < start + 86_400_000);
        expect(test('ge')).toBe(at >= start);
        expect(test('lt')).toBe(at < start);
        expect(test('gt')).toBe(at >= start + 86_400_000);
        expect(test('le')).toBe(at < start + 86_400_000);
        expect(test('ne')).toBe(!(at >= start && at < start + 86_400_000));
      }),
    );
  });

  it('tokens, status, identifier and sorting; strict handling refuses what it does not know', () => {
    const r = (id: string, day: string, status: string) => ({ id, meta: { lastUpdated: `${day}T00:00:00Z` }, status, effectiveDateTime: `${day}T00:00:00Z`, code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] }, identifier: [{ system: 'urn:x', value: id }] });
    const rs = [r('a', '2024-03-01', 'final'), r('b', '2024-01-01', 'amended'), r('c', '2024-02-01', 'final')];
    const c = (q: Record<string, unknown>) => parseCriteria(q, ['code', 'status', 'identifier', '_sort'], true).criteria;
    expect(rs.filter((x) => matches(x, c({ code: 'http://loinc.org|1-8' }))).length).toBe(3);
    expect(rs.filter((x) => matches(x, c({ code: 'http://snomed.info/sct|1-8' }))).length).toBe(0);
    expect(rs.filter((x) => matches(x, c({ code: '1-8' }))).length).toBe(3);
    expect(rs.filter((x) => matches(x, c({ status: 'amended,cancelled' }))).map((x) => x.id)).toEqual(['b']);
    expect(rs.filter((x) => matches(x, c({ identifier: 'urn:x|c' }))).map((x) => x.id)).toEqual(['c']);
    expect(order(rs, c({ _sort: 'date' })).map((x) => x.id)).toEqual(['b', 'c', 'a']);
    expect(order(rs, c({ _sort: '-date' })).map((x) => x.id)).toEqual(['a', 'c', 'b']);
    expect(() => parseCriteria({ colour: 'red' }, ['code'], true)).toThrow(SalusError);
    expect(parseCriteria({ colour: 'red' }, ['code'], false).ignored).toEqual(['colour']);
    expect(() => parseCriteria({ _count: '-1' }, ['_count'], true)).toThrow(SalusError);
    expect(() => parseCriteria({ status: ['a', 'b'] }, ['status'], true)).toThrow(SalusError);
  });
});
