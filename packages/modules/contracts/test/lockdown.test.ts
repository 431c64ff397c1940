import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSWASMModule } from 'quickjs-emscripten';
import { PRELUDE } from '../src/runtime/prelude.js';
import { INTRINSICS } from '../src/runtime/sandbox.js';
import type { ContractHarness } from '../src/harness/index.js';
import { createContractHarness } from '../src/harness/index.js';
import { createContractRuntime } from '../src/index.js';
import type { BlockScopedRuntime } from '../src/runtime/runtime.js';
import { Sandbox } from '../src/runtime/sandbox.js';
import { SDK, failure } from './helpers.js';

// Each call tries to leave something behind for the next call of the same (reused) sandbox.
const SOURCE = `${SDK}
let calls = 0;
const cache: Record<string, number> = {};
export function count() { calls++; cache['k'] = (cache['k'] ?? 0) + 1; return [calls, cache['k']]; }
const attempts: Record<string, () => void> = {
  addToPrototype: () => { (Array.prototype as never as { leak: number }).leak = 7; },
  addToObjectPrototype: () => { (Object.prototype as never as { leak: number }).leak = 7; },
  addToNamespace: () => { (Math as never as { pi2: number }).pi2 = 6; },
  replaceBuiltin: () => { (JSON as { stringify: unknown }).stringify = () => 'x'; },
  replaceWrapper: () => { (String.prototype as { repeat: unknown }).repeat = () => 'x'; },
  deleteBuiltin: () => { delete (String.prototype as { repeat?: unknown }).repeat; },
  defineOnPrototype: () => { Object.defineProperty(Array.prototype, 'leak', { value: 1 }); },
  stashOnMethod: () => { (Array.prototype.map as never as { leak: number }).leak = 1; },
  stashOnBridge: () => { (__salus as never as { leak: number }).leak = 1; },
  stashOnConsole: () => { (console.log as never as { leak: number }).leak = 1; },
  stashOnIterator: () => { (Object.getPrototypeOf([].values()) as { leak: number }).leak = 1; },
  stashOnGenerator: () => { (Object.getPrototypeOf(function* () {}) as { leak: number }).leak = 1; },
  changePrototype: () => { Object.setPrototypeOf(Array.prototype, null); },
  errorLimit: () => { (Error as never as { stackTraceLimit: number }).stackTraceLimit = 0; },
};
declare const __salus: object;
export function attempt(a: { what: string }) {
  try { attempts[a.what]!(); return 'allowed'; } catch (e) { return (e as Error).name; }
}
export function look() {
  return [typeof ([] as never as { leak: unknown }).leak, typeof ({} as never as { leak: unknown }).leak, typeof (Math as never as { pi2: unknown }).pi2,
    JSON.stringify([1]), typeof 'x'.repeat, typeof (Array.prototype.map as never as { leak: unknown }).leak, Object.getPrototypeOf(Array.prototype) === Object.prototype];
}
// assignments that shadow an inherited built-in on one's own objects keep working
class MyError extends Error { constructor(m: string) { super(m); this.name = 'MyError'; this.message = 'mine: ' + m; } }
export function override() {
  const o: Record<string, unknown> = {};
  o.toString = () => 'own'; o.constructor = 1; o.hasOwnProperty = 2; o.valueOf = () => 5;
  const e = new MyError('x');
  try { fail('REASON', 'on purpose'); } catch (f) { o.failName = (f as Error).name; }
  return [String(o), o.constructor, o.hasOwnProperty, e.name, e.message, e instanceof Error, o.failName];
}
// the writable built-ins: changed during a call, put back after it
export function replaceShared() {
  (Object.prototype as { toString: unknown }).toString = () => 'evil';
  (Error.prototype as { name: string }).name = 'Evil';
  (TypeError.prototype as { message: string }).message = 'evil';
  return [String({}), new Error('m').name];
}
export function readShared() { return [String({}), new Error('m').name, new TypeError().message]; }
`;

describe('the sandbox is locked down, so that a reused one carries nothing from call to call', () => {
  let blocks: BlockScopedRuntime;
  let h: ContractHarness;
  beforeAll(async () => {
    blocks = (await createContractRuntime()).blockScoped();
    h = await createContractHarness({ source: SOURCE, fileName: 'lockdown.ts', runtime: blocks });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    blocks.endBlock();
  });

  it('gives every call of a block fresh module-level variables, in one reused sandbox', () => {
    const created = vi.spyOn(Sandbox, 'create');
    blocks.beginBlock(h.height);
    for (let i = 0; i < 5; i++) expect(h.call('count').value).toEqual([1, 1]);
    expect(created).toHaveBeenCalledTimes(1);
  });

  it('refuses every write to a shared object with a TypeError, and the next call sees nothing of it', () => {
    blocks.beginBlock(h.height);
    const clean = h.call('look').value;
    expect(clean).toEqual(['undefined', 'undefined', 'undefined', '[1]', 'function', 'undefined', true]);
    const what = ['addToPrototype', 'addToObjectPrototype', 'addToNamespace', 'replaceBuiltin', 'replaceWrapper', 'deleteBuiltin', 'defineOnPrototype', 'stashOnMethod', 'stashOnBridge', 'stashOnConsole', 'stashOnIterator', 'stashOnGenerator', 'changePrototype', 'errorLimit'];
    for (const w of what) {
      expect(h.call('attempt', { what: w }).value, w).toBe('TypeError');
      expect(h.call('look').value, w).toEqual(clean);
    }
  });

  it('lets a call shadow an inherited built-in on its own objects (the override mistake is avoided)', () => {
    blocks.beginBlock(h.height);
    expect(h.call('override').value).toEqual(['own', 1, 2, 'MyError', 'mine: x', true, 'ContractFailure']);
  });

  it('puts back the few writable built-ins after each call', () => {
    blocks.beginBlock(h.height);
    expect(h.call('replaceShared').value).toEqual(['evil', 'Evil']);
    expect(h.call('readShared').value).toEqual(['[object Object]', 'Error', '']);
  });

  it('behaves the same without reuse: a new sandbox per call is locked down too', async () => {
    const fresh = await createContractHarness({ source: SOURCE, fileName: 'lockdown.ts', runtime: await createContractRuntime() });
    expect(fresh.call('attempt', { what: 'addToPrototype' }).value).toBe('TypeError');
    expect(fresh.call('override').value).toEqual(['own', 1, 2, 'MyError', 'mine: x', true, 'ContractFailure']);
    failure(() => fresh.call('nope'), 'CONTRACT_METHOD');
  });

  it('freezes every object the full walk reaches also when it follows the recipe instead', async () => {
    const Q = await newQuickJSWASMModule(RELEASE_SYNC);
    const walked = withPrelude(Q, undefined, (c, p) => c.getProp(p, 2).consume((w) => c.getString(w)));
    const links = JSON.parse(walked) as unknown[];
    expect(links.length).toBeGreaterThan(300);
    const [reached, bad] = withPrelude(Q, walked, (c) => {
      const r = c.evalCode(CHECK, 'check.js');
      return (r.error ?? r.value).consume((h) => c.dump(h) as [number, string[]]);
    });
    expect(bad).toEqual([]);
    expect(reached).toBe(links.length / 3);
  });
});

/** Runs the prelude in a new context (with the recipe, if given) and hands its result to `f`. */
function withPrelude<T>(Q: QuickJSWASMModule, recipe: string | undefined, f: (c: QuickJSContext, p: import('quickjs-emscripten').QuickJSHandle) => T): T {
  const rt = Q.newRuntime();
  const c = rt.newContext({ intrinsics: INTRINSICS });
  try {
    for (const [name, v] of [['__salus_host', c.newFunction('h', () => undefined)], ['__salus_charge', c.newFunction('c', () => undefined)], ...(recipe ? [['__salus_lockdown', c.newString(recipe)] as const] : [])] as const) {
      c.setProp(c.global, name, v);
      v.dispose();
    }
    // the check needs Reflect.ownKeys unwrapped (the metered one refuses some objects' lengths): kept under another global name, in both contexts alike
    c.unwrapResult(c.evalCode('globalThis.__ownKeys = Reflect.ownKeys')).dispose();
    return c.unwrapResult(c.evalCode(PRELUDE, 'prelude.js')).consume((p) => f(c, p));
  } finally {
    c.dispose();
    rt.dispose();
  }
}

// every object reachable from the global object and the syntax-only intrinsics: frozen, but for the writable built-ins the lockdown keeps
const CHECK = `(function () {
  var gopd = Object.getOwnPropertyDescriptor, own = __ownKeys, proto = Object.getPrototypeOf, ext = Object.isExtensible, OP = Object.prototype;
  var todo = [globalThis, proto(function* () {}), proto(async function () {}), proto(async function* () {}), proto([].values()), proto(new Map().entries()), proto(new Set().values()),
    proto(''[Symbol.iterator]()), proto(/x/[Symbol.matchAll]('')), proto(Iterator.from({ next() {} })), proto([].values().map((x) => x))];
  var errs = new Set([Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, InternalError, AggregateError].map((e) => e.prototype));
  var seen = new Set(), bad = [], o, p, ks, d, v, i, name;
  while (todo.length > 0) {
    o = todo.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    name = typeof o === 'function' ? 'function ' + o.name : String(o && o.constructor && o.constructor.name);
    if (ext(o)) bad.push('extensible: ' + name);
    p = proto(o);
    if (p !== null) todo.push(p);
    ks = own(o);
    for (i = 0; i < ks.length; i++) {
      d = gopd(o, ks[i]);
      if (d.configurable) bad.push('configurable: ' + name + '.' + String(ks[i]));
      if ('value' in d) {
        if (d.writable && !(o === OP || ((ks[i] === 'name' || ks[i] === 'message') && errs.has(o)))) bad.push('writable: ' + name + '.' + String(ks[i]));
        v = d.value;
        if (v !== null && (typeof v === 'object' || typeof v === 'function')) todo.push(v);
      } else {
        if (d.get) todo.push(d.get);
        if (d.set) todo.push(d.set);
      }
    }
  }
  return [seen.size, bad.slice(0, 20)];
})()`;
