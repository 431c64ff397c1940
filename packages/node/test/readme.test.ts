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

  it('its SDK snippet runs against a node and verifies the proof', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeTruthy();
    const code = snippet!.replace('http://127.0.0.1:26657', t.url) + '\nconsole.log(JSON.stringify({ height: proven.height, code: receipt.result.code }));\n';
    // Written inside the workspace so that '@salus/client' resolves as it does for a user of the repo.
    const file = join(root, 'packages/node/test', `.readme-snippet-${process.pid}.mjs`);
    writeFileSync(file, code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 30_000 });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out.code).toBe('OK');
      expect(out.height).toBeGreaterThan(0);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
