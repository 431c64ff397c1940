import fc from 'fast-check';
import { isSalusError } from '@salus/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContractHarness, type ContractHarness } from '../src/harness/index.js';
import { createContractRuntime, type ContractRuntime } from '../src/index.js';
import { EngineFault } from '../src/runtime/engine.js';
import { QuickJSInternals } from '../src/runtime/internals.js';
import { Sandbox } from '../src/runtime/sandbox.js';
import { SDK } from './helpers.js';

// Two contracts whose methods end in every way a call can end, including the engine's own limits,
// garbage the collector must find (during a call and after it), and the things that make a
// sandbox unfit for reuse (a promise job left, a lazily made template object).
const A = `${SDK}
let calls = 0;
export function bump(a: { n: number }) { calls++; const n = (state.get<number>('n') ?? 0) + a.n; state.set('n', n); emit('a.bump', { n, calls }); return { n, calls }; }
export function spin(a: { n: number }) { let x = 0; for (let i = 0; i < a.n * 100; i++) x = (x * 31 + i) % 1000003; return x; }
export function grow(a: { n: number }) { const keep: unknown[] = []; for (let i = 0; i < a.n * 40; i++) { const o: { i: number; self?: unknown } = { i }; o.self = o; keep.push(o); } return keep.length; }
export function churn(a: { n: number }) { let k = 0; for (let i = 0; i < a.n * 20; i++) { const o: { i: number; self?: unknown } = { i }; o.self = o; k += o.i % 7; } return k; }
export function big(a: { n: number }) { return 'ab'.repeat(a.n * 500).length; }
export function deep(a: { n: number }): number { const f = (k: number): number => (k <= 0 ? 0 : 1 + f(k - 1)); return f(a.n); }
export function refuse(a: { n: number }) { state.set('r', a.n); if (a.n % 3 === 0) fail('MULTIPLE_OF_THREE', 'n is ' + a.n); if (a.n % 3 === 1) throw new TypeError('bad ' + a.n); return a.n; }
export function tamper(a: { n: number }) { const before = [String({}), new Error('m').name]; (Object.prototype as { toString: unknown }).toString = () => 'evil' + a.n; (Error.prototype as { name: string }).name = 'Evil'; return [before, calls]; }
export function later(a: { n: number }) { Promise.resolve(a.n).then(() => 0); return 'queued'; }
const RAW = String.raw\`top\${1}level\`;
export function tagged(a: { n: number }) { const t = (s: TemplateStringsArray) => s.raw.length; return t\`x\${a.n}y\` + RAW.length; }
export function names(a: { n: number }) { const o: Record<string, number> = {}; for (let i = 0; i < a.n; i++) o['k' + i] = i; return Object.keys(o).length; }
export function nested(a: { n: number }) { return call<number>('b', 'echo', a) + (state.get<number>('n') ?? 0); }
export function reenter(a: { n: number }): number { return a.n <= 0 ? 0 : call<number>('b', 'back', { n: a.n - 1 }) + 1; }
`;
const B = `${SDK}
let hits = 0;
export function echo(a: { n: number }) { hits++; state.set('last', a.n); return a.n * 2 + hits; }
export function back(a: { n: number }) { return call<number>('a', 'reenter', a); }
export function burn(a: { n: number }) { const s: string[] = []; for (let i = 0; i < a.n * 50; i++) s.push('x' + i); return s.join('').length; }
`;

// 1 MiB of QuickJS heap (its count of allocations times 8), so that the memory limit is reached quickly
const LIMITS = { memoryBytes: 1 << 20 };
const METHODS = { a: ['bump', 'spin', 'grow', 'churn', 'big', 'deep', 'refuse', 'tamper', 'later', 'tagged', 'names', 'nested', 'reenter'], b: ['echo', 'back', 'burn'] } as const;

async function pair(runtime: ContractRuntime): Promise<ContractHarness> {
  return createContractHarness({ name: 'a', source: A, fileName: 'a.ts', others: { b: { source: B, fileName: 'b.ts' } }, runtime });
}

type Step = { contract: 'a' | 'b'; method: string; n: number; gas: number };

function outcome(h: ContractHarness, s: Step): unknown {
  try {
    const r = h.call(s.method, { n: s.n }, { gas: s.gas, contract: s.contract });
    return { value: r.value, gasUsed: r.gasUsed, events: r.events };
  } catch (e) {
    if (!isSalusError(e)) throw e;
    return { code: e.code, message: e.message, meta: e.meta };
  }
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ contract: fc.constant('a' as const), method: fc.constantFrom(...METHODS.a), n: fc.integer({ min: 0, max: 3000 }), gas: fc.constantFrom(150_000, 2_000_000, 20_000_000) }),
  fc.record({ contract: fc.constant('b' as const), method: fc.constantFrom(...METHODS.b), n: fc.integer({ min: 0, max: 3000 }), gas: fc.constantFrom(150_000, 2_000_000, 20_000_000) }),
);

describe('sandboxes reused within a block', () => {
  afterEach(() => vi.restoreAllMocks());

  it('give every call the outcome, gas, error and writes a new sandbox gives', async () => {
    const cold = await createContractRuntime({ limits: LIMITS });
    const blocks = (await createContractRuntime({ limits: LIMITS })).blockScoped();
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const c = await pair(cold);
        const w = await pair(blocks);
        blocks.beginBlock(w.height);
        for (const s of steps) {
          const x = outcome(c, s);
          expect(outcome(w, s), `${s.contract}.${s.method}(${s.n}) with ${s.gas} gas`).toEqual(x);
          seen.add((x as { code?: string }).code ?? 'OK');
        }
        blocks.endBlock();
        expect(w.entries('a')).toEqual(c.entries('a'));
        expect(w.entries('b')).toEqual(c.entries('b'));
      }),
      { numRuns: 40 },
    );
    // the sequences reached every way a call ends
    for (const code of ['OK', 'CONTRACT_FAILED', 'CONTRACT_MEMORY', 'CONTRACT_STACK', 'OUT_OF_GAS', 'CONTRACT_DEPTH']) expect(seen).toContain(code);
  });

  it('reuses one sandbox per code (a second one for a re-entered contract) and starts each block cold', async () => {
    const blocks = (await createContractRuntime()).blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    blocks.beginBlock(h.height);
    for (let i = 0; i < 4; i++) h.call('nested', { n: i });
    expect(created).toHaveBeenCalledTimes(2);
    expect(h.call('reenter', { n: 2 }).value).toBe(2);
    // a → b → a → b → a: the inner a and b run while the outer ones are busy
    expect(created).toHaveBeenCalledTimes(5);
    h.call('reenter', { n: 2 });
    expect(created).toHaveBeenCalledTimes(5);
    blocks.beginBlock(h.height + 1);
    h.height += 1;
    h.call('bump', { n: 1 });
    expect(created).toHaveBeenCalledTimes(6);
  });

  it('starts again from nothing when the same block is executed again', async () => {
    const blocks = (await createContractRuntime()).blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    for (let run = 0; run < 2; run++) {
      blocks.beginBlock(h.height);
      expect(h.call('bump', { n: 1 }).value).toMatchObject({ calls: 1 });
      expect(h.call('bump', { n: 1 }).value).toMatchObject({ calls: 1 });
    }
    expect(created).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing for calls outside the open block: no block open, or a context at another height', async () => {
    const blocks = (await createContractRuntime()).blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    h.call('bump', { n: 1 });
    h.call('bump', { n: 1 });
    expect(created).toHaveBeenCalledTimes(2);
    blocks.beginBlock(h.height + 5);
    h.call('bump', { n: 1 });
    h.call('bump', { n: 1 });
    expect(created).toHaveBeenCalledTimes(4);
    blocks.endBlock();
  });

  it('does not reuse a sandbox a call left a promise job in, or whose heap does not come back to its set-up size', async () => {
    const blocks = (await createContractRuntime()).blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    blocks.beginBlock(h.height);
    h.call('later', { n: 1 });
    h.call('later', { n: 1 });
    expect(created).toHaveBeenCalledTimes(2);
    h.call('tagged', { n: 1 });
    h.call('tagged', { n: 1 });
    expect(created).toHaveBeenCalledTimes(3);
    // something the lockdown does not know of stays allocated after the call: even a collection does not bring the heap back
    vi.spyOn(QuickJSInternals.prototype, 'allocations').mockReturnValueOnce(1e9).mockReturnValueOnce(1e9);
    expect(h.call('tagged', { n: 1 }).value).toBe(11);
    expect(created).toHaveBeenCalledTimes(4);
    blocks.endBlock();
  });

  it('keeps a sandbox through calls that make many new names, and drops one whose call grew the atom table', async () => {
    const blocks = (await createContractRuntime()).blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    blocks.beginBlock(h.height);
    for (let i = 0; i < 3; i++) expect(h.call('names', { n: 1000 }).value).toBe(1000);
    expect(created).toHaveBeenCalledTimes(1);
    h.call('names', { n: 3000 });
    h.call('names', { n: 10 });
    expect(created).toHaveBeenCalledTimes(2);
    blocks.endBlock();
  });

  it('drops every kept sandbox when the engine faults, and runs on a new instance', async () => {
    const runtime = await createContractRuntime();
    const blocks = runtime.blockScoped();
    const h = await pair(blocks);
    const created = vi.spyOn(Sandbox, 'create');
    blocks.beginBlock(h.height);
    h.call('bump', { n: 1 });
    expect(created).toHaveBeenCalledTimes(1);
    vi.spyOn(Sandbox.prototype, 'call').mockImplementationOnce(() => {
      throw new EngineFault(new Error('a trap'));
    });
    expect(() => h.call('bump', { n: 1 })).toThrow(expect.objectContaining({ code: 'CONTRACT_INTERNAL' }));
    expect(created).toHaveBeenCalledTimes(1);
    await runtime.ready();
    expect(h.call('bump', { n: 1 }).value).toMatchObject({ n: 2, calls: 1 });
    expect(created).toHaveBeenCalledTimes(2);
    // in another WebAssembly instance than the faulted one
    expect(created.mock.calls[1]![0]).not.toBe(created.mock.calls[0]![0]);
    blocks.endBlock();
  });
});
