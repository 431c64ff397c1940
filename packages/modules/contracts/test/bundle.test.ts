import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleContract, checkContractCode, contractCodeHash, CONTRACT_LIMITS } from '../src/index.js';

const invalid = (reason: string) => ({ code: 'CONTRACT_INVALID', meta: expect.objectContaining({ reason }) });

describe('bundler and static check', () => {
  it('bundles a contract with the SDK into one module, deterministically, listing its methods', async () => {
    const source = `import { state } from '@salus/contracts/sdk';\nconst helper = () => 1;\nexport function a() { return helper(); }\nexport const b = (x: number) => x;\nexport const notMethod = 3;\nfunction c() { return state.get('k'); }\nexport { c as renamed };\n`;
    const one = await bundleContract({ source });
    const two = await bundleContract({ source });
    expect(one.code).toBe(two.code);
    expect(one.codeHash).toBe(contractCodeHash(one.code));
    expect(one.methods).toEqual(['a', 'b', 'renamed']);
    expect(one.code).not.toMatch(/^\s*import /m);
    expect(checkContractCode(one.code).methods).toEqual(one.methods);
    const min = await bundleContract({ source, minify: true });
    expect(min.code.length).toBeLessThan(one.code.length);
    expect(min.methods).toEqual(one.methods);
  });

  it('refuses code that does not compile', async () => {
    await expect(bundleContract({ source: 'export function (' })).rejects.toMatchObject(invalid('build'));
    expect(() => checkContractCode('export function (')).toThrow(expect.objectContaining(invalid('syntax')));
  });

  it('refuses imports of anything but the SDK and files in the contract s folder', async () => {
    for (const spec of ['node:fs', 'fs', 'lodash', '@salus/core', './elsewhere.js']) {
      await expect(bundleContract({ source: `import * as x from '${spec}';\nexport function f() { return String(x); }` })).rejects.toMatchObject(invalid('build'));
    }
    const dir = mkdtempSync(join(tmpdir(), 'contract-'));
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'util.ts'), 'export const two = 2;\n');
    writeFileSync(join(dir, 'outside.ts'), 'export const three = 3;\n');
    writeFileSync(join(dir, 'c', 'main.ts'), "import { two } from './util.js';\nexport function f() { return two; }\n");
    writeFileSync(join(dir, 'c', 'bad.ts'), "import { three } from '../outside.js';\nexport function f() { return three; }\n");
    expect((await bundleContract({ entry: join(dir, 'c', 'main.ts') })).methods).toEqual(['f']);
    await expect(bundleContract({ entry: join(dir, 'c', 'bad.ts') })).rejects.toMatchObject(invalid('build'));
  });

  it('refuses every forbidden global, Math.random, import() and import.meta, at bundle time and in checkContractCode', async () => {
    const uses = ['Date.now()', 'new Date()', 'Math.random()', "Math['random']()", 'eval("1")', 'Function("return 1")', 'new WeakRef({})', 'new FinalizationRegistry(() => 0)', 'new SharedArrayBuffer(8)', 'Atomics', 'globalThis', 'global', 'self', 'setTimeout(() => 0, 1)', 'setInterval(() => 0, 1)', 'process.env', 'require("fs")', 'fetch("x")', 'import("x")', 'import.meta.url', 'new Float64Array(1)', 'performance.now()', 'queueMicrotask(() => 0)'];
    for (const u of uses) {
      const code = `export function f() { return ${u}; }\n`;
      expect(() => checkContractCode(code), u).toThrow(expect.objectContaining(invalid('forbidden')));
    }
    await expect(bundleContract({ source: 'export function f() { return Date.now(); }' })).rejects.toMatchObject(invalid('forbidden'));
    expect(() => checkContractCode("import x from 'y';\nexport function f() { return x; }")).toThrow(expect.objectContaining(invalid('forbidden')));
    expect(() => checkContractCode("export * from 'y';")).toThrow(expect.objectContaining(invalid('forbidden')));
  });

  it('does not mistake local names, properties and labels for globals', () => {
    const code = `
const Date = { now: () => 1 };
function g(fetch, { process = 2 } = {}) { return fetch + process; }
export function f() {
  const o = { eval: 1, setTimeout: 2, globalThis: 3 };
  const random = Math.max(1, 2);
  self: for (const require of [1]) { if (require) break self; }
  try { throw 1; } catch (performance) { return Date.now() + o.eval + o.setTimeout + o.globalThis + g(1) + random + performance; }
}
class K { Date = 1; static self() { return 1; } }
export { K };
`;
    expect(checkContractCode(code).methods).toEqual(['f']);
    expect(() => checkContractCode('export function f() { { const Date = 1; } return Date; }')).toThrow(expect.objectContaining(invalid('forbidden')));
  });

  it('refuses code over the size limit', async () => {
    const big = `export function f() { return ${JSON.stringify('x'.repeat(CONTRACT_LIMITS.codeBytes))}; }`;
    expect(() => checkContractCode(big)).toThrow(expect.objectContaining(invalid('too-large')));
    await expect(bundleContract({ source: big })).rejects.toMatchObject(invalid('too-large'));
  });
});
