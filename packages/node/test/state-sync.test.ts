import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, toHex } from '@salus/core';
import { parseGenesis } from '@salus/module';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { joinHome } from '../src/config/home.js';
import { writeKeyFile } from '../src/config/keyfile.js';
import { tempDir } from './harness.js';
import { FAST, MAIN, type NodeProc, freePortRange, getJson, height, patientTx, startNodeProcess, stopProcess, submit, waitFor } from './net-harness.js';

interface Status {
  height: number;
  base: number;
  appHash: string;
}
interface BlockView {
  header: { hash: string; appHash: string };
}

/**
 * State sync with real processes: four validators commit a few hundred transactions; a new node
 * with an empty data directory, given a trusted header (height and hash, as an operator takes them
 * from a node they trust), restores the state at a snapshot height below it from the validators,
 * block-syncs from there to the tip, holds no block below its base (410 BELOW_BASE), agrees with
 * the others on blocks and app hash, keeps up by block sync after a restart, and `salus verify`
 * passes on its data directory (replayed from its base).
 */
describe('a new node joins from a state snapshot', () => {
  const dir = tempDir('salus-statesync-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    if (!process.env.SALUS_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('restores the state at a snapshot, reaches the tip without the blocks below, and verifies', async () => {
    const base = await freePortRange(10);
    const chainId = 'salus-statesync';
    const joiner = generateIdentityKeys();
    const joinerId = toHex(joiner.signing.publicKey);
    const config = { ...FAST, p2p: { ...FAST.p2p, allowedKeys: [joinerId] }, snapshots: { intervalBlocks: 10, kept: 2, chunkBytesMax: 8192 } };
    const nodes = initLocalnet({ dir, validators: 4, chainId, apiPortBase: base, p2pPortBase: base + 5, config });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const url = (i: number) => procs[i]!.url;
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(url(i))))).every((h) => h >= 2), 30_000, 'all four nodes to commit blocks');

    // A few hundred transactions, committed.
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let k = 0; k < 50; k++) {
          const h = await submit(url((w + k) % 4), patientTx(chainId));
          if (h) acked.push(h);
        }
      }),
    );
    expect(acked.length).toBeGreaterThan(250);
    const committed = async (hash: string) => (await getJson<{ status?: string }>(`${url(0)}/v1/txs/${hash}`)).status === 'committed';
    await waitFor(async () => (await Promise.all(acked.map(committed))).every(Boolean), 60_000, `${acked.length} transactions to commit`);
    await waitFor(async () => (await height(url(0))) >= 25, 60_000, 'height 25');

    // The operator's trusted header: the latest one of a node they trust.
    const trusted = await getJson<{ height: number; header: { hash: string } }>(`${url(0)}/v1/blocks/latest`);
    const genesis = parseGenesis(JSON.parse(readFileSync(join(localnetHome(dir, 0), 'genesis.json'), 'utf8')));
    const home = join(dir, 'joiner');
    joinHome({ home, genesis, peers: nodes.map((n) => ({ id: n.nodeId, host: '127.0.0.1', port: n.p2pPort })), apiPort: base + 4, p2pPort: base + 9 });
    writeKeyFile(join(home, 'keys', 'node.json'), joiner, true);
    const cfgFile = join(home, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, bft: FAST.bft }));
    // the operator's flag (stateSync in config.json does the same); a malformed one is refused
    const badFlag = await promisify(execFile)(process.execPath, [MAIN, 'start', '--home', home, '--state-sync', `${trusted.height}:nothex`]).catch((e: { code: number; stderr: string }) => e);
    expect(badFlag).toMatchObject({ code: 1, stderr: expect.stringContaining('error CONFIG: --state-sync must be') });
    const flag = ['--state-sync', `${trusted.height}:${trusted.header.hash}`];
    procs[4] = await startNodeProcess(home, flag);
    const status = await getJson<Status>(`${url(4)}/v1/status`);
    // it opened at its snapshot: a height below the trusted one, a multiple of the interval
    expect(status.base).toBeGreaterThan(0);
    expect(status.base).toBeLessThan(trusted.height);
    expect(status.base % 10).toBe(0);
    expect(status.height).toBeGreaterThanOrEqual(status.base);
    await waitFor(async () => (await height(url(4))) >= (await height(url(0))) - 1 && (await height(url(4))) > trusted.height, 60_000, 'the joiner to reach the tip');

    // No block below the base is held or served: a typed 410, not a 500.
    for (const h of [1, status.base - 1]) {
      const r = await fetch(`${url(4)}/v1/blocks/${h}`);
      expect(r.status).toBe(410);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BELOW_BASE');
    }

    // Same blocks and app hashes from the base to the tip.
    const top = Math.min(...(await Promise.all([0, 4].map((i) => height(url(i))))));
    for (const h of [status.base, status.base + 1, trusted.height, top]) {
      const [a, b] = await Promise.all([0, 4].map((i) => getJson<BlockView>(`${url(i)}/v1/blocks/${h}`)));
      expect(b!.header.hash, `block ${h}`).toBe(a!.header.hash);
      expect(b!.header.appHash, `app hash in block ${h}`).toBe(a!.header.appHash);
    }
    const appHashAt = async (i: number, h: number) => {
      await waitFor(async () => (await height(url(i))) >= h, 30_000, `node ${i} at ${h}`);
      return (await getJson<BlockView>(`${url(i)}/v1/blocks/${h}`)).header.appHash;
    };
    expect(await appHashAt(4, top + 2)).toBe(await appHashAt(0, top + 2));

    // Restarted a few blocks behind, it keeps its data directory and catches up by block sync.
    expect(await stopProcess(procs[4]!)).toBe(0);
    const h0 = await height(url(0));
    await waitFor(async () => (await height(url(0))) >= h0 + 5, 30_000, '5 blocks with the joiner down');
    procs[4] = await startNodeProcess(home, flag);
    expect((await getJson<Status>(`${url(4)}/v1/status`)).base).toBe(status.base);
    await waitFor(async () => (await height(url(4))) >= (await height(url(0))) - 1, 30_000, 'the joiner to catch up again');
    expect(readFileSync(join(home, 'node.log'), 'utf8')).toContain('already holds the chain');

    // Clean stops; the joiner's directory verifies from its base, the others' from genesis.
    for (const p of procs) expect(await stopProcess(p)).toBe(0);
    for (const p of [procs[4]!, procs[0]!]) {
      const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'verify', p.home]);
      const report = JSON.parse(stdout) as { ok: boolean; height: number };
      expect(report.ok, `${p.home}: ${stdout}`).toBe(true);
      expect(report.height).toBeGreaterThan(trusted.height);
    }
  }, 300_000);
});
