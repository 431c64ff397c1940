import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './harness.js';

const root = new URL('../../../', import.meta.url).pathname;

/** The README's SDK snippet, run as written (against a test node) so the docs cannot drift from the code. */
describe('README', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.close());

  const snippets = () => [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

  async function run(snippet: string, tail: string): Promise<Record<string, unknown>> {
    const code = snippet.replace('http://127.0.0.1:26657', t.url).replaceAll("'hospital-1'", `'${t.orgId}'`).replaceAll("chainId: 'salus-localnet'", "chainId: 'salus-test'") + tail;
    // Written inside the workspace so that '@salus/client' resolves as it does for a user of the repo.
    const file = join(root, 'packages/node/test', `.readme-snippet-${process.pid}.mjs`);
    writeFileSync(file, code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 30_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('its SDK snippet runs against a node and verifies the proof', async () => {
    const out = await run(snippets()[0]!, '\nconsole.log(JSON.stringify({ height: proven.height, code: receipt.result.code, batch: answers.map((a) => a.status) }));\n');
    expect(out.code).toBe('OK');
    expect(out.batch).toEqual(['pending']);
    expect(out.height).toBeGreaterThan(0);
  });

  it('its records snippet registers, writes, grants, reads back and lists the proven disclosures', async () => {
    expect(snippets().length).toBeGreaterThanOrEqual(2);
    const out = await run(snippets()[1]!, '\nconsole.log(JSON.stringify({ type: resource.resourceType, kinds: log.map((e) => e.kind) }));\n');
    expect(out.type).toBe('Observation');
    expect(out.kinds).toEqual(expect.arrayContaining(['set_keyring', 'write', 'grant']));
  });

  it('its contract snippet runs the example contract in the contract harness', async () => {
    const snippet = snippets().find((s) => s.includes('createContractHarness'))!;
    const out = await run(snippet, '\nconsole.log(JSON.stringify({ status: value.status, gas: gasUsed > 0, events: events.length }));\n');
    expect(out).toEqual({ status: 'issued', gas: true, events: 1 });
  });

  it('its module snippet runs a module through the in-process harness', async () => {
    const snippet = snippets().find((s) => s.includes('createModuleHarness'))!;
    const out = await run(snippet, '\nconsole.log(JSON.stringify({ code: result.code, total, height: h.height }));\n');
    expect(out).toEqual({ code: 'OK', total: 2, height: 1 });
  });
});
