import { beforeAll, describe, expect, it } from 'vitest';
import type { ContractHarness } from '../src/harness/index.js';
import { DEFAULT_LIMITS } from '../src/index.js';
import { SDK, failure, harness } from './helpers.js';

const SOURCE = `${SDK}
export function ok(args: { n: number }) { state.set('last', args.n); return args.n + 1; }
export function spin() { while (true) {} }
export function spinAfterWrite() { state.set('x', 1); for (;;) {} }
export function recurse() { const f = (n: number): number => f(n + 1) + 1; return f(0); }
export function recurseCaught() { const f = (n: number): number => f(n + 1) + 1; try { f(0); } catch (e) { return 'caught'; } return 'no'; }
export function gigabyte() { return new ArrayBuffer(1024 * 1024 * 1024).byteLength; }
export function hugeString() { return 'x'.repeat(1 << 29).length; }
export function growForever() { const a: number[] = []; for (;;) a.push(a.length); }
export function doubling() { let s = 'ab'; for (;;) s = s + s; }
export function throws() { state.set('x', 1); throw new Error('boom: ' + 'y'.repeat(2000)); }
export function throwsString() { throw 'plain'; }
export function failsOnPurpose() { fail('NOT_COVERED', 'the plan does not cover this'); }
export function topLevel() { return 1; }
`;

describe('limits', () => {
  let h: ContractHarness;
  beforeAll(async () => {
    h = await harness(SOURCE, { gas: 2_000_000 });
  });

  const stillWorks = (): void => {
    expect(h.call('ok', { n: 41 }).value).toBe(42);
  };

  it('stops an infinite loop at the gas limit, in bounded time, and reports gasUsed = limit', () => {
    const t = performance.now();
    const e = failure(() => h.call('spin', null, { gas: 1_000_000 }), 'OUT_OF_GAS');
    expect(e.meta.gasUsed).toBe(1_000_000);
    expect(performance.now() - t).toBeLessThan(2_000);
    // a larger budget stops later but still stops
    const e2 = failure(() => h.call('spin', null, { gas: 50_000_000 }), 'OUT_OF_GAS');
    expect(e2.meta.gasUsed).toBe(50_000_000);
    stillWorks();
  });

  it('drops the writes of a call that runs out of gas', () => {
    failure(() => h.call('spinAfterWrite'), 'OUT_OF_GAS');
    expect(h.get('x')).toBeUndefined();
    stillWorks();
  });

  it('refuses a call whose arguments alone exceed its gas', () => {
    failure(() => h.call('ok', { n: 1 }, { gas: 10 }), 'OUT_OF_GAS');
    stillWorks();
  });

  it('stops deep recursion with CONTRACT_STACK, also when the contract catches it', () => {
    const e = failure(() => h.call('recurse', null, { gas: 1_000_000_000 }), 'CONTRACT_STACK');
    expect(e.meta.gasUsed).toBeGreaterThan(0);
    expect(h.call('recurseCaught', null, { gas: 1_000_000_000 }).value).toBe('caught');
    stillWorks();
  });

  it('stops a 1 GB allocation, a huge string, a growing array and a doubling string with CONTRACT_MEMORY', () => {
    for (const m of ['gigabyte', 'hugeString', 'growForever', 'doubling']) {
      const e = failure(() => h.call(m, null, { gas: 1_000_000_000 }), 'CONTRACT_MEMORY');
      expect(e.meta.gasUsed).toBeLessThan(1_000_000_000);
      stillWorks();
    }
    expect(DEFAULT_LIMITS.memoryBytes).toBe(16 * 1024 * 1024);
  });

  it('reports a thrown exception as CONTRACT_FAILED with a bounded message and drops its writes', () => {
    const e = failure(() => h.call('throws'), 'CONTRACT_FAILED');
    expect(e.message.startsWith('boom: yyy')).toBe(true);
    expect(e.message.length).toBeLessThanOrEqual(500);
    expect(h.get('x')).toBeUndefined();
    expect(failure(() => h.call('throwsString'), 'CONTRACT_FAILED').message).toBe('plain');
    stillWorks();
  });

  it('carries the reason of fail() in meta.reason', () => {
    const e = failure(() => h.call('failsOnPurpose'), 'CONTRACT_FAILED');
    expect(e.meta.reason).toBe('NOT_COVERED');
    expect(e.message).toBe('the plan does not cover this');
  });

  it('refuses an unknown method and non-method exports', () => {
    failure(() => h.call('nope'), 'CONTRACT_METHOD');
    failure(() => h.call('default'), 'CONTRACT_METHOD');
    failure(() => h.call('constructor'), 'CONTRACT_METHOD');
  });

  it('charges identical gas for identical calls, and more for more work', () => {
    const a = h.call('ok', { n: 1 }).gasUsed;
    const b = h.call('ok', { n: 1 }).gasUsed;
    expect(a).toBe(b);
    expect(a).toBeGreaterThan(0);
  });
});
