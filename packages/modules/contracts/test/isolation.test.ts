import { describe, expect, it } from 'vitest';
import { newQuickJSWASMModule, RELEASE_SYNC } from 'quickjs-emscripten';
import { INTRINSICS } from '../src/runtime/invoke.js';
import { PRELUDE } from '../src/runtime/prelude.js';
import { SDK, failure, harness } from './helpers.js';

describe('isolation and determinism of the sandbox', () => {
  it('starts every call afresh: module variables, patched prototypes and globals do not leak', async () => {
    const h = await harness(`${SDK}
let calls = 0;
const cache: Record<string, number> = {};
export function count() { calls++; cache['k'] = (cache['k'] ?? 0) + 1; return [calls, cache['k']]; }
export function patch() { (Array.prototype as never as { leak: number }).leak = 7; (Object.prototype as never as { leak2: number }).leak2 = 8; (Math as never as { pi2: number }).pi2 = 6; return 1; }
export function look() { return [typeof ([] as never as { leak: unknown }).leak, typeof ({} as never as { leak2: unknown }).leak2, typeof (Math as never as { pi2: unknown }).pi2]; }
`);
    expect(h.call('count').value).toEqual([1, 1]);
    expect(h.call('count').value).toEqual([1, 1]);
    // the built-ins are frozen: a write to them throws, and nothing of it reaches the next call
    expect(failure(() => h.call('patch'), 'CONTRACT_FAILED').meta.name).toBe('TypeError');
    expect(h.call('look').value).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('has no clock, randomness, weak references, shared memory, float views or code generation at run time', async () => {
    // reached by paths the static check cannot see, to test the runtime's own removal
    const h = await harness(`${SDK}
const word = (...p: string[]) => p.join('');
export function probe() {
  const fnCtor = ([] as never as { constructor: { constructor: (s: string) => () => unknown } }).constructor.constructor;
  const out: Record<string, string> = {
    random: typeof (Math as never as Record<string, unknown>)[word('ran', 'dom')],
  };
  try { fnCtor('return 1')(); out.fn = 'ran'; } catch (e) { out.fn = String((e as Error).message); }
  try { (function* () {}).constructor('yield 1'); out.gen = 'ran'; } catch (e) { out.gen = 'blocked'; }
  try { (async function () {}).constructor(''); out.async = 'ran'; } catch (e) { out.async = 'blocked'; }
  return out;
}
export function globals() {
  const g = (new (class { m() { return this; } })()).m.call(undefined as never);
  return typeof g;
}
export function consoleIsSilent() { console.log('x'); console.error('y'); return 'ok'; }
`);
    expect(h.call('probe').value).toEqual({ random: 'undefined', fn: 'code generation from strings is not available in contracts', gen: 'blocked', async: 'blocked' });
    expect(h.call('globals').value).toBe('undefined');
    expect(h.call('consoleIsSilent').value).toBe('ok');
  });

  it('removes the forbidden globals in the prelude (checked on the prelude itself, since contracts cannot name them)', async () => {
    const Q = await newQuickJSWASMModule(RELEASE_SYNC);
    const rt = Q.newRuntime();
    const c = rt.newContext({ intrinsics: INTRINSICS });
    c.setProp(c.global, '__salus_host', c.undefined);
    c.unwrapResult(c.evalCode(PRELUDE, 'prelude.js')).dispose();
    const names = ['Date', 'eval', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'Float32Array', 'Float64Array', 'DataView', 'setTimeout', 'process', 'require', 'fetch', '__salus_host'];
    const r = c.unwrapResult(c.evalCode(`[${names.map((n) => `typeof ${n}`).join(',')}, typeof Math.random, typeof __salus, typeof console.log]`));
    expect(c.dump(r)).toEqual([...names.map(() => 'undefined'), 'undefined', 'object', 'function']);
    r.dispose();
    const f = c.evalCode('Function("return 1")()');
    expect(c.dump(f.error!).message).toMatch(/not available/);
    f.error!.dispose();
    c.dispose();
    rt.dispose();
  });

  it('makes a contract that names a forbidden global fail at bundle time', async () => {
    await expect(harness(`export function t() { return Date.now(); }`)).rejects.toMatchObject({ code: 'CONTRACT_INVALID', meta: { reason: 'forbidden' } });
  });

  it('validates calls made straight to the bridge, bypassing the SDK', async () => {
    const h = await harness(`
declare const __salus: { set(k: unknown, v: unknown): void; requireRole(r: unknown): void };
export function direct() { __salus.set(42, 1); }
export function role() { __salus.requireRole('admin'); return 'yes'; }
`);
    failure(() => h.call('direct'), 'CONTRACT_VALUE');
    failure(() => h.call('role'), 'CONTRACT_FORBIDDEN');
    expect(h.call('role', null, { roles: ['admin'] }).value).toBe('yes');
  });

  it('keeps a failed role check fatal even if the contract catches it', async () => {
    const h = await harness(`${SDK}
export function sneaky() { try { requireRole('admin'); } catch (e) { } state.set('k', 1); return 'done'; }
`);
    failure(() => h.call('sneaky'), 'CONTRACT_FORBIDDEN');
    expect(h.get('k')).toBeUndefined();
  });
});
