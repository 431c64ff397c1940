import { beforeAll, describe, expect, it } from 'vitest';
import type { ContractHarness } from '../src/harness/index.js';
import { SDK, failure, harness } from './helpers.js';

const SOURCE = `${SDK}
export function echo(a: unknown) { return a; }
export function float() { return { price: 1.5 }; }
export function nan() { return [NaN]; }
export function infinite() { return Infinity; }
export function undef() { return { a: undefined }; }
export function hole() { return [1, , 3]; }
export function instance() { return new Map(); }
export function fn() { return { f() {} }; }
export function nothing() { state.set('ran', true); }
export function setFloat() { state.set('k', 0.1 as never); return 'unreachable'; }
export function setFloatCaught() { try { state.set('k', 0.1 as never); } catch (e) { } return 'swallowed'; }
export function setDeep() { let v: unknown = 1; for (let i = 0; i < 40; i++) v = [v]; state.set('k', v as never); }
export function setHuge() { state.set('k', 'x'.repeat(70 * 1024)); }
export function badKey() { state.set('k\\u00e9', 1); }
export function emitUndefined() { emit('x.y', { a: undefined as never }); }
export function emitBadType() { emit('Not Valid', {}); }
export function bypass() { return (globalThis as never as { __salus: { set(k: string, v: unknown): void } }) ; }
export function read() { return state.get('k') ?? null; }
export function roundTrip(a: { s: string }) { state.set('s', a.s); return state.get('s'); }
`;

describe('values crossing the boundary', () => {
  let h: ContractHarness;
  beforeAll(async () => {
    h = await harness(SOURCE.replace(/export function bypass[^\n]*\n/, ''));
  });

  it('passes canonical values both ways unchanged', () => {
    const v = { a: [1, -2, 9007199254740991, 'é😀', true, null, { b: [] }], c: {} };
    expect(h.call('echo', v).value).toEqual(v);
    expect(h.call('roundTrip', { s: 'snow ☃' }).value).toBe('snow ☃');
  });

  it('returns null for a method that returns nothing', () => {
    expect(h.call('nothing').value).toBeNull();
    expect(h.get('ran')).toBe(true);
  });

  it('refuses floats, NaN, Infinity, undefined, holes, class instances and functions in results (bigints cannot be made: see builtins.test.ts)', () => {
    for (const m of ['float', 'nan', 'infinite', 'undef', 'hole', 'instance', 'fn']) {
      const e = failure(() => h.call(m), 'CONTRACT_VALUE');
      expect(e.message).toMatch(/result/);
    }
  });

  it('refuses bad arguments before running anything', () => {
    failure(() => h.call('echo', { a: 1.5 } as never), 'CONTRACT_VALUE');
    failure(() => h.call('echo', { a: undefined } as never), 'CONTRACT_VALUE');
    failure(() => h.call('echo', [1n] as never), 'CONTRACT_VALUE');
    failure(() => h.call('echo', '\ud800' as never), 'CONTRACT_VALUE');
    failure(() => h.call('echo', new Date() as never), 'CONTRACT_VALUE');
  });

  it('refuses a float written to state, even when the contract catches the refusal, and keeps no write', () => {
    failure(() => h.call('setFloat'), 'CONTRACT_VALUE');
    failure(() => h.call('setFloatCaught'), 'CONTRACT_VALUE');
    expect(h.get('k')).toBeUndefined();
  });

  it('bounds depth, size and key shape of state writes', () => {
    failure(() => h.call('setDeep'), 'CONTRACT_VALUE');
    failure(() => h.call('setHuge'), 'CONTRACT_VALUE');
    failure(() => h.call('badKey'), 'CONTRACT_VALUE');
    expect(h.get('k')).toBeUndefined();
  });

  it('refuses bad events', () => {
    failure(() => h.call('emitUndefined'), 'CONTRACT_VALUE');
    failure(() => h.call('emitBadType'), 'CONTRACT_VALUE');
  });

  it('refuses a bad value from the host too', () => {
    h.put('k', 1.25 as never);
    failure(() => h.query('read'), 'CONTRACT_VALUE');
    failure(() => h.query('roundTrip', { s: 'x' }), 'CONTRACT_FORBIDDEN');
  });
});
