import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initLocalnet } from '../src/config/localnet.js';
import { homePaths } from '../src/config/home.js';
import { EXIT_STORAGE } from '../src/cli/chain.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, patientTx, startNodeProcess, stopProcess, submit, waitFor } from './net-harness.js';

const size = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

/** Sets one option in a node's config.json. */
function configure(home: string, quota: number): void {
  const file = homePaths(home).config;
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, storageQuotaBytes: quota }, null, 2));
}

/**
 * A validator whose storage fills (SQLite's max_page_count through `storageQuotaBytes`: the
 * engine's own SQLITE_FULL, the error a full disk gives) stops cleanly: one log line naming the
 * cause and the file, exit code 74, nothing of the block written. The other three go on; given
 * room, it starts again without damage, catches up, and its chain verifies.
 */
describe('a validator whose storage is full', () => {
  const dir = tempDir('salus-full-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    if (!process.env.SALUS_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('stops with exit code 74 and says why; restarted with room, it catches up and verifies', async () => {
    const base = await freePortRange(8);
    const chainId = 'salus-full';
    const nodes = initLocalnet({ dir, validators: 4, chainId, apiPortBase: base, p2pPortBase: base + 4, config: FAST });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const url = (i: number) => procs[i]!.url;
    await waitFor(async () => (await height(url(3))) >= 3, 30_000, 'node 3 to commit blocks');

    // Give node 3 a quota a little above what its ledger holds now.
    expect(await stopProcess(procs[3]!)).toBe(0);
    const home = nodes[3]!.home;
    const db = homePaths(home).db;
    configure(home, size(db) + size(`${db}-wal`) + 256 * 1024);
    procs[3] = await startNodeProcess(home);
    const exited = new Promise<number | null>((resolve) => procs[3]!.child.once('exit', (code) => resolve(code)));

    // Load through the others until node 3's blocks no longer fit.
    let done = false;
    const load = (async () => {
      for (let k = 0; !done; k++) {
        await Promise.all(Array.from({ length: 20 }, () => submit(url(k % 3), patientTx(chainId))));
      }
    })();
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
    expect(code).toBe(EXIT_STORAGE);
    const log = readFileSync(join(home, 'node.log'), 'utf8');
    expect(log).toMatch(/storage full writing block \d+: database or disk is full \(.*salus\.db\)/);
    expect(log).toContain('STORAGE_FULL');

    // The other three go on meanwhile.
    const h = await height(url(0));
    await waitFor(async () => (await height(url(0))) >= h + 3, 60_000, 'the other three to go on');

    // Room again: it starts, catches up, and its chain verifies.
    configure(home, 0);
    procs[3] = await startNodeProcess(home);
    await waitFor(async () => (await height(url(3))) >= (await height(url(0))) - 1, 90_000, 'node 3 to catch up');
    done = true;
    await load;
    const report = await getJson<{ ok: boolean; height: number }>(`${url(3)}/v1/verify`);
    expect(report).toMatchObject({ ok: true });
    const top = Math.min(...(await Promise.all([0, 1, 2, 3].map((i) => height(url(i))))));
    const hashes = await Promise.all([0, 3].map(async (i) => (await getJson<{ header: { hash: string } }>(`${url(i)}/v1/blocks/${top}`)).header.hash));
    expect(hashes[0]).toBe(hashes[1]);
    for (const p of procs) expect(await stopProcess(p)).toBe(0);
  }, 300_000);
});
