import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS } from '../src/index.js';
import { SDK, failure, harness } from './helpers.js';

const COUNTER = `${SDK}
export function bump(a: { by: number }) { const n = (state.get<number>('n') ?? 0) + a.by; state.set('n', n); emit('counter.bumped', { n, caller: ctx().caller }); return n; }
export function broken() { state.set('n', -1); fail('BROKEN', 'always fails'); }
export function spin() { for (;;) {} }
`;

const CALLER = `${SDK}
export function viaCounter(a: { by: number }) { state.set('calls', (state.get<number>('calls') ?? 0) + 1); return call<number>('counter', 'bump', a); }
export function viaBroken() { state.set('calls', 99); return call('counter', 'broken'); }
export function viaSpin() { state.set('calls', 98); return call('counter', 'spin'); }
export function self(a: { depth: number }): number { return a.depth >= 50 ? a.depth : call<number>('caller', 'self', { depth: a.depth + 1 }); }
export function deepEverywhere(a: { depth: number }): number {
  // recurse to the stack limit of this level, then call the next level from (nearly) the deepest frame
  let done = false, result = -1;
  const r = (n: number): number => {
    try { return r(n + 1) + 1; } catch (e) {
      if (done) throw e;
      // if even the call overflows here, the frame above tries again
      result = a.depth >= ${CONTRACT_LIMITS.maxDepth} ? a.depth : call<number>('caller', 'deepEverywhere', { depth: a.depth + 1 });
      done = true;
      return 0;
    }
  };
  r(0);
  return result;
}
export function selfTo(a: { depth: number; until: number }): number { return a.depth >= a.until ? a.depth : call<number>('caller', 'selfTo', { depth: a.depth + 1, until: a.until }); }
`;

describe('cross-contract calls', () => {
  const setup = () => harness(CALLER, { name: 'caller', others: { counter: { source: COUNTER, fileName: 'counter.ts' } } });

  it('routes a call, commits both contracts writes and events, and charges the nested gas', async () => {
    const h = await setup();
    const r = h.call('viaCounter', { by: 5 });
    expect(r.value).toBe(5);
    expect(h.get('n', 'counter')).toBe(5);
    expect(h.get('calls')).toBe(1);
    expect(r.events).toEqual([{ contract: 'counter', type: 'counter.bumped', attributes: { n: 5, caller: 'caller' } }]);
    const direct = h.call('bump', { by: 1 }, { contract: 'counter' }).gasUsed;
    expect(r.gasUsed).toBeGreaterThan(direct);
  });

  it('fails the caller when the callee fails, and keeps nobody s writes', async () => {
    const h = await setup();
    const e = failure(() => h.call('viaBroken'), 'CONTRACT_FAILED');
    expect(e.meta.reason).toBe('BROKEN');
    expect(h.get('calls')).toBeUndefined();
    expect(h.get('n', 'counter')).toBeUndefined();
  });

  it('runs the nested call on the caller s remaining gas', async () => {
    const h = await setup();
    const e = failure(() => h.call('viaSpin', null, { gas: 3_000_000 }), 'OUT_OF_GAS');
    expect(e.meta.gasUsed).toBe(3_000_000);
    expect(h.get('calls')).toBeUndefined();
  });

  it(`allows ${CONTRACT_LIMITS.maxDepth} nested levels and refuses one more with CONTRACT_DEPTH`, async () => {
    const h = await setup();
    expect(h.call('selfTo', { depth: 0, until: CONTRACT_LIMITS.maxDepth }, { gas: 50_000_000 }).value).toBe(CONTRACT_LIMITS.maxDepth);
    const e = failure(() => h.call('self', { depth: 0 }, { gas: 50_000_000 }), 'CONTRACT_DEPTH');
    expect(e.meta.gasUsed).toBeGreaterThan(0);
    // still usable afterwards
    expect(h.call('viaCounter', { by: 2 }).value).toBe(2);
  });

  it('keeps the engine s own stack check ahead of V8 s when every level recurses to its limit', async () => {
    const h = await setup();
    expect(h.call('deepEverywhere', { depth: 0 }, { gas: 500_000_000 }).value).toBe(CONTRACT_LIMITS.maxDepth);
  });

  it('refuses a depth beyond the limit passed straight to invoke', async () => {
    const h = await setup();
    failure(
      () => h.runtime.invoke({ code: h.code, codeHash: h.codeHash, method: 'self', args: { depth: 0 }, host: {} as never, depth: CONTRACT_LIMITS.maxDepth + 1 }),
      'CONTRACT_DEPTH',
    );
  });
});
