import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { initLocalnet } from '../src/config/localnet.js';
import { homePaths } from '../src/config/home.js';
import { tempDir } from './harness.js';
import { FAST, MAIN, freePortRange, getJson, height, patientTx, startNodeProcess, stopProcess, submit, waitFor, type NodeProc } from './net-harness.js';
import { usePgCluster } from './pg-fixture.js';

/**
 * Real processes on PostgreSQL storage: three validators of one local network, each with
 * `storage: postgres://…?schema=nodeN` in its config.json (one cluster, one schema each), commit
 * blocks by consensus, stop, start again where they were, and `salus verify` passes on each.
 */
const pg = usePgCluster();

describe('nodes on PostgreSQL storage', () => {
  const dir = tempDir('salus-pg-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('commit blocks, restart where they stopped, and verify from genesis', async () => {
    const base = await freePortRange(6);
    const chainId = 'salus-pg';
    const nodes = initLocalnet({ dir, validators: 3, chainId, apiPortBase: base, p2pPortBase: base + 3, config: FAST });
    for (const n of nodes) {
      const file = homePaths(n.home).config;
      const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...config, storage: pg.cluster().url(`node${n.index}`) }));
    }
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const url = (i: number) => procs[i]!.url;
    const hashes: string[] = [];
    for (let k = 0; k < 60; k++) {
      const h = await submit(url(k % 3), patientTx(chainId));
      if (h) hashes.push(h);
    }
    expect(hashes.length).toBe(60);
    const committed = async (h: string) => (await fetch(`${url(0)}/v1/txs/${h}`)).status === 200;
    await waitFor(async () => (await Promise.all(hashes.map(committed))).every(Boolean), 60_000, 'the 60 transactions to commit');
    await waitFor(async () => (await Promise.all([0, 1, 2].map((i) => height(url(i))))).every((h) => h >= 5), 60_000, 'all three nodes at height 5');
    const hashAt = async (i: number, h: number) => (await getJson<{ hash: string }>(`${url(i)}/v1/blocks/${h}`)).hash;
    expect(new Set(await Promise.all([0, 1, 2].map((i) => hashAt(i, 5)))).size).toBe(1);

    await Promise.all(procs.map((p) => stopProcess(p)));
    const stopped = await Promise.all(nodes.map((n) => verifyHome(n.home)));
    for (const r of stopped) expect(r).toMatchObject({ ok: true });
    expect(stopped.reduce((n, r) => n + r.txs, 0) / 3).toBe(60);
    // the ledger lives in PostgreSQL: no embedded ledger file was made
    for (const n of nodes) expect(existsSync(homePaths(n.home).db)).toBe(false);

    const before = Math.max(...stopped.map((r) => r.height));
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    expect(await height(url(0))).toBeGreaterThanOrEqual(Math.min(...stopped.map((r) => r.height)));
    for (let k = 0; k < 9; k++) expect(await submit(url(k % 3), patientTx(chainId))).toBeDefined();
    await waitFor(async () => (await Promise.all([0, 1, 2].map((i) => height(url(i))))).every((h) => h >= before + 3), 60_000, 'three more blocks after the restart');
    // verify reads a consistent snapshot while a node goes on committing
    const live = await verifyHome(nodes[0]!.home);
    expect(live).toMatchObject({ ok: true });
    expect(live.height).toBeGreaterThanOrEqual(before + 3);
  });
});

interface Report {
  ok: boolean;
  height: number;
  txs: number;
}

async function verifyHome(home: string): Promise<Report> {
  const out = execFileSync(process.execPath, [MAIN, 'verify', home], { encoding: 'utf8' });
  return JSON.parse(out) as Report;
}
