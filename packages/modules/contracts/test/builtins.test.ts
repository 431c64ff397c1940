import { isSalusError } from '@salus/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContractHarness, type ContractHarness } from '../src/harness/index.js';
import { BUILTIN_WEIGHTS, bundleContract, checkContractCode, createContractRuntime } from '../src/index.js';
import { failure, harness, runtime } from './helpers.js';

// Native built-ins count as one interpreter step however much they do; the prelude's wrappers
// (src/runtime/builtins.ts) charge them by size. Each pattern below used to run for seconds to
// minutes per 10,000 gas (e.g. an endless 'x'.repeat(65536) loop: ~30 µs of CPU per gas; an
// indexOf on an array of length 2**32 - 1: 310 s for one step). Now every one of them must stop
// with OUT_OF_GAS at its gas limit, at a CPU cost in line with plain interpretation.
const BIG = `const big = 'x'.repeat(1 << 20); const arr = new Array(1 << 16).fill(7); const obj: Record<string, number> = {}; for (let i = 0; i < 20000; i++) obj['k' + i] = i;`;
const LOOPS: Record<string, [setup: string, op: string]> = {
  repeatKeep: ['const a: string[] = [];', "a.push('x'.repeat(1 << 16))"],
  repeatDrop: ['let s = "";', "s = 'x'.repeat(65536)"],
  padStart: ['let s = "";', "s = ''.padStart(65536, 'ab')"],
  replaceAll: ["const b = 'ab'.repeat(1 << 15); let s = '';", "s = b.replaceAll('a', 'cc')"],
  split: ["const b = 'a,'.repeat(1 << 14); let s: string[] = [];", "s = b.split(',')"],
  indexOf: [`${BIG} let r = 0;`, "r = big.indexOf('y')"],
  toUpperCase: [`${BIG} let s = '';`, 's = big.toUpperCase()'],
  join: [`${BIG} let s = '';`, "s = arr.join(',')"],
  arrayToString: [`${BIG} let s = '';`, "s = arr + ''"],
  fillKeep: ['const a: number[][] = [];', 'a.push(new Array(100000).fill(1))'],
  concat: [`${BIG} let a: number[] = [];`, 'a = arr.concat(arr)'],
  splice: [BIG, 'arr.splice(0, 1)'],
  sparseIndexOf: ['const a: number[] = []; a.length = 2 ** 32 - 1; let r = 0;', 'r = a.indexOf(8)'],
  sparseForEach: ['const a: number[] = []; a.length = 2 ** 32 - 1;', 'a.forEach(() => 0)'],
  arrayLikeIndexOf: ['const o = { length: 2 ** 32 - 1 }; let r = 0;', 'r = Array.prototype.indexOf.call(o, 8)'],
  sort: ['const a: number[] = []; for (let i = 0; i < 20000; i++) a.push((i * 7919) % 20011);', 'a.slice().sort()'],
  flat: ['const inner = new Array(1000).fill(1); const a = new Array(64).fill(inner); let r: number[] = [];', 'r = a.flat()'],
  arrayFrom: ['let a: unknown[] = [];', 'a = Array.from({ length: 100000 })'],
  spread: [`${BIG} let a: number[] = [];`, 'a = [...arr]'],
  arrayBufferKeep: ['const a: ArrayBuffer[] = [];', 'a.push(new ArrayBuffer(1 << 20))'],
  stringify: [`${BIG} let s = '';`, 's = JSON.stringify(arr)'],
  parse: ['const t = JSON.stringify(new Array(1 << 15).fill(12345)); let a: unknown;', 'a = JSON.parse(t)'],
  fromCharCode: ['const codes = new Array(60000).fill(65); let s = "";', 's = String.fromCharCode(...codes)'],
  objectKeys: [`${BIG} let k: string[] = [];`, 'k = Object.keys(obj)'],
  objectEntries: [`${BIG} let k: unknown[] = [];`, 'k = Object.entries(obj)'],
  objectAssign: [`${BIG} let k = {};`, 'k = Object.assign({}, obj)'],
};
const source = Object.entries(LOOPS)
  .map(([name, [setup, op]]) => `export function ${name}() { ${setup} for (;;) { ${op}; } }`)
  .join('\n');

function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

describe('built-ins are charged by size', () => {
  let h: ContractHarness;
  beforeAll(async () => {
    h = await harness(source);
  });

  // Deterministic: the outcome and the gas. Loose: CPU. Before the fix these calls ran from 13 s
  // (until QuickJS ran out of WebAssembly memory) to hours; now 0.01-2 s, ~100 µs per 1,000 gas
  // at worst on the machine this was written on (plain interpretation: 30-100).
  it.each(Object.keys(LOOPS))('%s stops at the gas limit in bounded CPU time', (name) => {
    let err: unknown;
    const ms = cpuMs(() => {
      try {
        h.call(name, null, { gas: 5_000_000 });
      } catch (e) {
        err = e;
      }
    });
    expect(isSalusError(err) && err.code).toBe('OUT_OF_GAS');
    expect(isSalusError(err) && err.meta.gasUsed).toBe(5_000_000);
    expect(ms).toBeLessThan(6_000);
  }, 30_000);

  it('charges each call at least its weight per unit of output (a deterministic bound on built-in work per gas)', async () => {
    const { char, element } = BUILTIN_WEIGHTS;
    const g = await harness(`
export function repeat(a: { n: number }) { let s = ''; for (let i = 0; i < a.n; i++) s = 'x'.repeat(65536); return s.length; }
export function fill(a: { n: number }) { let r = 0; for (let i = 0; i < a.n; i++) r = new Array(100000).fill(1).length; return r; }
export function join(a: { n: number }) { const x = new Array(10000).fill(7); let r = 0; for (let i = 0; i < a.n; i++) r = x.join(',').length; return r; }
`);
    const perOp = (m: string, n: number): number => (g.call(m, { n }, { gas: 50_000_000 }).gasUsed - g.call(m, { n: 0 }, { gas: 50_000_000 }).gasUsed) / n;
    expect(perOp('repeat', 100)).toBeGreaterThanOrEqual(65536 * char);
    expect(perOp('fill', 20)).toBeGreaterThanOrEqual(2 * 100000 * element);
    expect(perOp('join', 50)).toBeGreaterThanOrEqual((10000 + 19999) * element);
  });

  it('stops a native loop over a huge sparse array before it starts, whatever the gas limit', () => {
    const g = failure(() => h.call('sparseIndexOf', null, { gas: 1_000_000_000 }), 'OUT_OF_GAS');
    expect(g.meta.gasUsed).toBe(1_000_000_000);
  });

  it('refuses an array-like whose length is an accessor (the built-in would read it again)', async () => {
    const g = await harness(`export function sneaky() { let n = 0; const o = { get length() { return n++ === 0 ? 0 : 2 ** 32 - 1; } }; return Array.prototype.indexOf.call(o, 8); }`);
    const e = failure(() => g.call('sneaky'), 'CONTRACT_FAILED');
    expect(e.meta.name).toBe('TypeError');
  });

  it('keeps the originals out of reach and the wrappers transparent', async () => {
    const g = await harness(`
export function probe() {
  const buf = new ArrayBuffer(16);
  const viaCtor = new (buf.constructor as typeof ArrayBuffer)(1 << 20).byteLength;
  try {
    delete (String.prototype as { repeat?: unknown }).repeat;
  } catch {
    /* the built-ins are frozen */
  }
  return {
    ctor: buf.constructor === ArrayBuffer, viaCtor, repeatGone: typeof ('x' as unknown as { repeat?: unknown }).repeat,
    sorted: [3, 1, 2].sort(), joined: [1, [2, [3]]].flat(2).join('-'), json: JSON.stringify({ a: [1, { b: 'c' }] }, (k, v) => (k === 'b' ? 'd' : v)),
    parsed: JSON.parse('{"x":[1,2]}', (k, v) => (k === 'x' ? v.length : v)), spread: [...[1, 2], ...'ab'], keys: Object.keys({ p: 1, q: 2 }),
    entries: Object.entries({ p: 1 }), padded: 'ab'.padStart(5, '-'), upper: 'abc'.toLocaleUpperCase(),
  };
}`);
    expect(g.call('probe').value).toEqual({
      ctor: true, viaCtor: 1 << 20, repeatGone: 'function', sorted: [1, 2, 3], joined: '1-2-3', json: '{"a":[1,{"b":"d"}]}',
      parsed: { x: 2 }, spread: [1, 2, 'a', 'b'], keys: ['p', 'q'], entries: [['p', 1]], padded: '---ab', upper: 'ABC',
    });
  });

  it('still reports an allocation over the memory limit as CONTRACT_MEMORY', async () => {
    const g = await harness(`export function huge() { return new ArrayBuffer(1 << 30).byteLength; }\nexport function pad() { return ''.padEnd(1 << 29).length; }`);
    failure(() => g.call('huge', null, { gas: 1_000_000 }), 'CONTRACT_MEMORY');
    failure(() => g.call('pad', null, { gas: 1_000_000 }), 'CONTRACT_MEMORY');
  });

  it('refuses bigints and proxies at the static check (their work cannot be metered)', () => {
    for (const code of ['export function f() { return String(10n ** 100000n); }', 'export function f() { return String(BigInt(1)); }', 'export function f() { return new Proxy({}, {}); }', 'export function f() { return new Uint8Array(4).length; }']) {
      expect(() => checkContractCode(code)).toThrow(expect.objectContaining({ code: 'CONTRACT_INVALID' }));
    }
  });

  it('charges the same gas in two fresh runtimes, whatever ran before', async () => {
    const { code } = await bundleContract({
      source: `export function mix(a: { n: number }) {
  let s = 'ab'.repeat(a.n), acc = 0;
  const xs = s.split('').map((c, i) => c.charCodeAt(0) + i);
  acc += xs.slice().sort((p, q) => q - p).indexOf(97) + JSON.stringify(xs).length + Object.keys(JSON.parse('{"a":1,"b":2}')).length;
  return acc + s.replaceAll('a', 'xyz').length + [...xs].reverse().join('').length;
}
export function burn() { const a: string[] = []; for (;;) a.push('y'.repeat(4096).toUpperCase()); }`,
    });
    const a = await createContractRuntime();
    const b = await runtime();
    // b has history: a call that ran out of gas after building big strings
    failure(() => h.call('repeatKeep', null, { gas: 2_000_000 }), 'OUT_OF_GAS');
    const run = async (rt: typeof a, m: string, n: number, gas: number): Promise<unknown> => {
      const g = await createContractHarness({ code, runtime: rt });
      try {
        return g.call(m, { n }, { gas });
      } catch (e) {
        return isSalusError(e) ? { code: e.code, gasUsed: e.meta.gasUsed } : e;
      }
    };
    for (const [m, n, gas] of [['mix', 1000, 5_000_000], ['mix', 50_000, 5_000_000], ['mix', 50_000, 300_000], ['burn', 0, 3_000_000]] as const) {
      expect(await run(b, m, n, gas)).toEqual(await run(a, m, n, gas));
    }
  });
});
