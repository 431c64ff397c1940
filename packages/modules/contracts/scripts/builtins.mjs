// CPU per gas of contract code that leans on native built-ins (work proportional to their input or
// output, charged by size by the prelude's wrappers, src/runtime/builtins.ts) beside plain interpretation.
// Run after `npx tsc -b packages/modules/contracts`:
//   node packages/modules/contracts/scripts/builtins.mjs 5000000 [names]   each pattern in an endless loop until the gas limit
//   node packages/modules/contracts/scripts/builtins.mjs 0 [names]         CPU and gas per operation (slow for the residual ones)
// `names` is a comma-separated subset of PATTERNS.
import { createContractRuntime } from '../dist/index.js';
import { createContractHarness } from '../dist/harness/index.js';

const GAS = Number(process.argv[2] ?? 0);
const only = process.argv[3];
// name: [setup, one operation, iterations timed]
const BIG = `const big = 'x'.repeat(1 << 20); const arr = new Array(1 << 16).fill(7); const obj = {}; for (let i = 0; i < 20000; i++) obj['k' + i] = i;`;
const PATTERNS = {
  spin: ['let n = 0;', 'n++', 1e6],
  calls: ['const f = (x) => x + 1; let n = 0;', 'n = f(n)', 1e6],
  repeat: ['let s;', "s = 'x'.repeat(65536)", 2000],
  repeatKeep: ['const a = [];', "a.push('x'.repeat(65536))", 2000],
  padStart: ['let s;', "s = ''.padStart(65536, 'ab')", 2000],
  concat: [BIG + 'let s;', "s = big.concat('y')", 2000],
  replaceAll: ["const b = 'ab'.repeat(1 << 15); let s;", "s = b.replaceAll('a', 'cc')", 100],
  split: ["const b = 'a,'.repeat(1 << 14); let s;", "s = b.split(',')", 100],
  indexOf: [BIG + 'let s;', "s = big.indexOf('y')", 100],
  sliceStr: [BIG + 'let s;', 's = big.slice(1)', 200],
  upper: [BIG + 'let s;', 's = big.toUpperCase()', 100],
  join: [BIG + 'let s;', "s = arr.join(',')", 100],
  arrToString: [BIG + 'let s;', "s = arr + ''", 100],
  fill: ['let a;', 'a = new Array(100000).fill(1)', 100],
  fillKeep: ['const a = [];', 'a.push(new Array(100000).fill(1))', 100],
  arrConcat: [BIG + 'let a;', 'a = arr.concat(arr)', 200],
  arrSlice: [BIG + 'let a;', 'a = arr.slice()', 200],
  splice: [BIG, 'arr.splice(0, 1)', 200],
  arrIndexOf: [BIG + 'let a;', 'a = arr.indexOf(8)', 200],
  sparseIndexOf: ['const a = []; a.length = 2 ** 32 - 1; let r;', 'r = a.indexOf(8)', 1],
  sparseForEach: ['const a = []; a.length = 2 ** 32 - 1;', 'a.forEach(() => 0)', 1],
  arrayLikeIndexOf: ['const o = { length: 2 ** 32 - 1 }; let r;', 'r = Array.prototype.indexOf.call(o, 8)', 1],
  reverse: [BIG, 'arr.reverse()', 200],
  sortDefault: ['const a = []; for (let i = 0; i < 20000; i++) a.push((i * 7919) % 20011);', 'a.slice().sort()', 5],
  flat: ['const inner = new Array(1000).fill(1); const a = new Array(64).fill(inner); let r;', 'r = a.flat()', 100],
  arrayFrom: ['let a;', 'a = Array.from({ length: 100000 })', 20],
  spreadArr: [BIG + 'let a;', 'a = [...arr]', 200],
  arrayBuffer: ['let a;', 'a = new ArrayBuffer(1 << 20)', 200],
  arrayBufferKeep: ['const a = [];', 'a.push(new ArrayBuffer(1 << 20))', 200],
  stringify: [BIG + 'let s;', 's = JSON.stringify(arr)', 100],
  parse: ['const t = JSON.stringify(new Array(1 << 15).fill(12345)); let a;', 'a = JSON.parse(t)', 20],
  fromCharCode: ['const codes = new Array(60000).fill(65); let s;', 's = String.fromCharCode(...codes)', 20],
  fromCharCodeApply: ['const codes = new Array(60000).fill(65); let s;', 's = String.fromCharCode.apply(null, codes)', 20],
  objectKeys: [BIG + 'let k;', 'k = Object.keys(obj)', 50],
  objectEntries: [BIG + 'let k;', 'k = Object.entries(obj)', 20],
  objectAssign: [BIG + 'let k;', 'k = Object.assign({}, obj)', 20],
  spreadObj: [BIG + 'let k;', 'k = { ...obj }', 20],
  regexBig: [BIG + 'let r;', 'r = /y/.test(big)', 100],
  regexBacktrack: ["const s = 'a'.repeat(22) + 'b'; let r;", 'r = /^(a+)+$/.test(s)', 1],
  invoicesLike: ["const inv = { id: 'inv-1', provider: 'a'.repeat(64), payer: 'b'.repeat(64), amount: 100, status: 'issued' }; let r;", "r = [JSON.stringify({ ...inv, status: 'paid' }), ['issued', 'approved'].includes(inv.status), `open/${inv.payer}/${inv.id}`.slice(0, 40)]", 2000],
  strEquals: ["const a = 'x'.repeat(1 << 22), b = 'x'.repeat(1 << 22); let n = 0;", 'if (a === b) n++', 100],
  strPlus: ["const a = 'x'.repeat(1 << 20); let s;", "s = (a + 'y').length", 1000],
  sortCompare: ['const a = []; for (let i = 0; i < 20000; i++) a.push((i * 7919) % 20011);', 'a.slice().sort((x, y) => x - y)', 5],
  mapCallback: [BIG + 'let a;', 'a = arr.map((x) => x + 1)', 20],
  strPlusFlat: ["const a = 'x'.repeat(1 << 20); let s;", "s = (a + 'y').charCodeAt(5)", 200],
};

// syntax no wrapper reaches (object spread, string === and the flattening of a rope made by +): still one step per
// copy or comparison, so these run at a small gas limit only
const RESIDUAL = new Set(['spreadObj', 'strEquals', 'strPlusFlat']);

function cpuMs(f) {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

const runtime = await createContractRuntime();
// gas limit 0 = measure a fixed number of operations (gas and CPU per operation); otherwise loop until the limit
console.log(GAS ? `each pattern in an endless loop at ${GAS} gas` : 'per operation, after subtracting the set-up');
function run(source, gas) {
  return createContractHarness({ source, runtime, gas }).then((h) => {
    let outcome = 'ok', used = 0;
    const ms = cpuMs(() => {
      try {
        used = h.call('run').gasUsed;
      } catch (e) {
        outcome = e.code ?? String(e);
        used = e.meta?.gasUsed ?? 0;
      }
    });
    return { outcome, used, ms };
  });
}
for (const [name, [setup, op, n]] of Object.entries(PATTERNS)) {
  if (only && !only.split(',').includes(name)) continue;
  if (GAS) {
    const r = await run(`export function run() { ${setup} for (;;) { ${op}; } }`, RESIDUAL.has(name) ? Math.min(GAS, 60_000) : GAS);
    console.log(`${name.padEnd(18)} ${r.outcome.padEnd(16)} gas ${String(r.used).padStart(10)}  cpu ${r.ms.toFixed(0).padStart(6)} ms  ${((r.ms * 1000) / (r.used / 1000)).toFixed(1).padStart(9)} µs/kgas`);
    continue;
  }
  const body = (k) => `export function run() { ${setup} for (let i = 0; i < ${k}; i++) { ${op}; } return 0; }`;
  const base = await run(body(0), 1e12);
  const r = await run(body(n), 1e12);
  const us = ((r.ms - base.ms) * 1000) / n, gas = (r.used - base.used) / n;
  console.log(`${name.padEnd(18)} ${r.outcome.padEnd(16)} ${us.toFixed(2).padStart(10)} µs/op ${gas.toFixed(1).padStart(10)} gas/op ${((us * 1000) / Math.max(gas, 1)).toFixed(1).padStart(10)} µs/kgas`);
}
