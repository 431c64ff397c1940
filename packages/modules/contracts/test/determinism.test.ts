import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createContractHarness } from '../src/harness/index.js';
import { isSalusError } from '@salus/core';
import { bundleContract, createContractRuntime, type ContractRuntime } from '../src/index.js';

// Random small contract programs from a grammar of the things contracts do: integer arithmetic,
// bounded loops, state reads and writes, string operations, array sort with a comparator, object
// key iteration, JSON.stringify, events and failures.
const int = fc.integer({ min: -1000, max: 1000 });
const small = fc.integer({ min: 0, max: 40 });
const statement = fc.oneof(
  fc.tuple(int, int).map(([a, b]) => `acc = (acc * ${a} + ${b} + n) % 1000003;`),
  small.map((k) => `for (let i = 0; i < ${k}; i++) { acc = (acc * 31 + i) % 65521; }`),
  fc.integer({ min: 0, max: 4 }).map((k) => `state.set('k${k}', acc);`),
  fc.integer({ min: 0, max: 4 }).map((k) => `acc = acc + (state.get<number>('k${k}') ?? 7);`),
  fc.integer({ min: 0, max: 4 }).map((k) => `state.delete('k${k}');`),
  fc.constant(`s = (s + String(acc % 97) + tag).slice(-60);`),
  fc.constant(`arr.push(acc % 100, s.length); arr.sort((p, q) => (p % 7) - (q % 7) || p - q);`),
  fc.constant(`obj['k' + (((acc % 9) + 9) % 9)] = acc % 13; for (const key of Object.keys(obj)) acc += key.length + obj[key];`),
  fc.constant(`s = JSON.stringify({ obj, arr: arr.slice(0, 5) }).slice(0, 80);`),
  fc.constant(`acc = acc + s.split('').reverse().join('').charCodeAt(0 % (s.length || 1)) || acc;`),
  fc.constant(`emit('prog.step', { acc, len: s.length });`),
  fc.constant(`if (acc % 11 === 3) fail('ODD_STATE', 'acc ' + acc);`),
  fc.constant(`acc = state.list('k').reduce((x, [key, v]) => x + key.length + (v as number), acc);`),
);
const program = fc.array(statement, { minLength: 1, maxLength: 12 }).map(
  (body) => `import { state, emit, fail } from '@salus/contracts/sdk';
export function run(a: { n: number; tag: string }) {
  const n = a.n, tag = a.tag;
  let acc = n, s = '';
  const arr: number[] = [];
  const obj: Record<string, number> = {};
  ${body.join('\n  ')}
  return { acc, s, arr, obj };
}`,
);
const args = fc.record({ n: fc.integer({ min: -1_000_000, max: 1_000_000 }), tag: fc.string({ maxLength: 8 }) });

async function outcome(rt: ContractRuntime, code: string, a: { n: number; tag: string }, gas: number) {
  const h = await createContractHarness({ code, runtime: rt, gas });
  h.put('k1', 5);
  const runs = [];
  for (let i = 0; i < 2; i++) {
    try {
      const r = h.call('run', a);
      runs.push({ ok: r.value, gasUsed: r.gasUsed, events: r.events });
    } catch (e) {
      if (!isSalusError(e)) throw e;
      runs.push({ code: e.code, message: e.message, meta: e.meta });
    }
  }
  return { runs, state: h.entries() };
}

describe('determinism', () => {
  it('gives the same values, writes, events and gas in two separately created runtimes, whatever ran before', async () => {
    const a = await createContractRuntime();
    const b = await createContractRuntime();
    // b has history: a different workload ran on it first
    const warm = await bundleContract({ source: `export function w() { const x: number[] = []; for (let i = 0; i < 5000; i++) x.push(i * 7 % 13); return x.sort().length; }` });
    for (let i = 0; i < 5; i++) (await createContractHarness({ code: warm.code, runtime: b })).call('w');
    await fc.assert(
      fc.asyncProperty(program, args, fc.constantFrom(200_000, 5_000_000), async (source, input, gas) => {
        const { code } = await bundleContract({ source });
        const x = await outcome(a, code, input, gas);
        const y = await outcome(b, code, input, gas);
        expect(y).toEqual(x);
      }),
      { numRuns: 60 },
    );
  });
});
