import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, toHex } from '@salus/core';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { joinHome } from '../src/config/home.js';
import { writeKeyFile } from '../src/config/keyfile.js';
import { tempDir } from './harness.js';
import { FAST, MAIN, type NodeProc, freePortRange, getJson, height, patientTx, startNodeProcess, stopProcess, submit, waitFor } from './net-harness.js';
import { parseGenesis } from '@salus/module';

describe('a 4-validator network of real processes on loopback', () => {
  const dir = tempDir('salus-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits under load, survives kills and restarts, halts without a quorum and resumes, and a follower syncs from scratch', async () => {
    const base = await freePortRange(10);
    const follower = generateIdentityKeys();
    const followerId = toHex(follower.signing.publicKey);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-it', apiPortBase: base, p2pPortBase: base + 5, config: { ...FAST, p2p: { ...FAST.p2p, allowedKeys: [followerId] } } });
    const genesis = parseGenesis(JSON.parse(readFileSync(join(localnetHome(dir, 0), 'genesis.json'), 'utf8')));
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const url = (i: number) => procs[i]!.url;
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(url(i))))).every((h) => h >= 2), 30_000, 'all four nodes to commit blocks');

    const acked: string[] = [];
    const load = async (targets: number[], count: number) => {
      for (let k = 0; k < count; k++) {
        const h = await submit(url(targets[k % targets.length]!), patientTx('salus-it'));
        if (h) acked.push(h);
      }
    };
    const progress = async (i: number, blocks: number, what: string) => {
      const h0 = await height(url(i));
      await waitFor(async () => (await height(url(i))) >= h0 + blocks, 30_000, what);
    };

    // A 202 is admission, not durability (a node killed before it gossips loses what only it held):
    // before each kill, every acknowledged transaction is known to a node that stays up.
    const known = (i: number) =>
      waitFor(async () => (await Promise.all(acked.map(async (h) => ['pending', 'committed'].includes((await getJson<{ status?: string }>(`${url(i)}/v1/txs/${h}`).catch(() => ({})) as { status?: string }).status ?? '')))).every(Boolean), 30_000, `node ${i} to hold every acknowledged transaction`);

    await load([0, 1, 2, 3], 80);
    await known(0);

    // One validator killed: the other three keep committing; restarted, it catches up.
    await stopProcess(procs[1]!, 'SIGKILL');
    await load([0, 2, 3], 60);
    await progress(0, 3, 'commits with node 1 down');
    procs[1] = await startNodeProcess(nodes[1]!.home);
    await waitFor(async () => (await height(url(1))) >= (await height(url(0))) - 1, 30_000, 'node 1 to catch up');

    // Another, in turn.
    await known(0);
    await stopProcess(procs[2]!, 'SIGKILL');
    await load([0, 1, 3], 60);
    await progress(3, 3, 'commits with node 2 down');
    procs[2] = await startNodeProcess(nodes[2]!.home);
    await waitFor(async () => (await height(url(2))) >= (await height(url(0))) - 1, 30_000, 'node 2 to catch up');

    // Two of four down: no quorum, the chain halts safely; one back and it resumes.
    await known(0);
    await Promise.all([stopProcess(procs[2]!, 'SIGKILL'), stopProcess(procs[3]!, 'SIGKILL')]);
    await new Promise((r) => setTimeout(r, 1500));
    const halted = await height(url(0));
    await load([0, 1], 20);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await height(url(0))).toBe(halted);
    expect(await height(url(1))).toBe(halted);
    procs[3] = await startNodeProcess(nodes[3]!.home);
    await progress(0, 3, 'the chain to resume with three validators');
    procs[2] = await startNodeProcess(nodes[2]!.home);

    // A follower that was never there syncs from scratch and follows.
    const fHome = join(dir, 'follower');
    joinHome({ home: fHome, genesis, peers: nodes.map((n) => ({ id: n.nodeId, host: '127.0.0.1', port: n.p2pPort })), apiPort: base + 4, p2pPort: base + 9 });
    writeKeyFile(join(fHome, 'keys', 'node.json'), follower, true);
    procs[4] = await startNodeProcess(fHome);
    await waitFor(async () => (await height(url(4))) >= (await height(url(0))) - 1 && (await height(url(4))) > halted, 30_000, 'the follower to sync');

    // No acknowledged transaction is lost.
    const committed = async (hash: string) => (await getJson<{ status?: string }>(`${url(0)}/v1/txs/${hash}`)).status === 'committed';
    await waitFor(async () => (await Promise.all(acked.map(committed))).every(Boolean), 30_000, `${acked.length} acknowledged transactions to commit`);
    expect(acked.length).toBeGreaterThan(150);

    // Every node holds the same blocks.
    const top = Math.min(...(await Promise.all([0, 1, 2, 3, 4].map((i) => height(url(i))))));
    for (let h = 1; h <= top; h++) {
      const hashes = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await getJson<{ header: { hash: string } }>(`${url(i)}/v1/blocks/${h}`)).header.hash));
      expect(new Set(hashes).size, `block ${h}`).toBe(1);
    }

    // Clean stops, and every data directory verifies from genesis.
    for (const p of procs) expect(await stopProcess(p)).toBe(0);
    for (const p of procs) {
      const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'verify', p.home]);
      expect(JSON.parse(stdout).ok, p.home).toBe(true);
    }
  }, 240_000);
});
