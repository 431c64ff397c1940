import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractsClient, SalusClient, Wallet } from '@salus/client';
import type { SalusError } from '@salus/core';
import { bundleContract } from '@salus/contracts';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';

/**
 * Hostile contracts on four validator processes: an infinite loop, a deep recursion, a 1 GB
 * allocation and a thrown exception each fail their transaction with a typed error and the gas
 * used, on every validator alike; the chain keeps committing, every node reaches the same app hash,
 * and a good call right after succeeds.
 */
const ed = createNativeEd25519();
const SOURCE = `import { state, emit } from '@salus/contracts/sdk';
export function add(a: { by: number }) { const t = (state.get<number>('t') ?? 0) + a.by; state.set('t', t); emit('added', { t }); return t; }
export function spin() { state.set('t', -1); for (;;) {} }
export function deep(): number { const f = (n: number): number => f(n + 1) + 1; return f(0); }
export function huge() { state.set('t', -1); return new ArrayBuffer(1 << 30).byteLength; }
export function boom() { state.set('t', -1); throw new Error('boom'); }
`;
const MANIFEST = { name: 'hostile', version: '1', methods: { add: { kind: 'call' }, spin: { kind: 'call' }, deep: { kind: 'call' }, huge: { kind: 'call' }, boom: { kind: 'call' } }, upgrade: { policy: 'owner' } };

describe('contracts on a 4-validator network', () => {
  const dir = tempDir('salus-contract-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an infinite loop, deep recursion, a 1 GB allocation and an exception fail alike everywhere; the chain goes on and agrees', async () => {
    const base = await freePortRange(10);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-contracts-net', apiPortBase: base, p2pPortBase: base + 5, config: FAST });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((h) => h >= 2), 30_000, 'all four nodes to commit');
    const admin = Wallet.import(JSON.parse(readFileSync(join(localnetHome(dir, 0), 'keys', `${nodes[0]!.org}-admin.json`), 'utf8')), ed);
    const via = (i: number) => new ContractsClient(new SalusClient({ url: procs[i]!.url, ed }), admin);

    const { code } = await bundleContract({ source: SOURCE, fileName: 'hostile.ts' });
    const { codeHash } = await via(0).deploy(code);
    await via(1).instantiate('hostile', codeHash, MANIFEST);
    expect((await via(2).call('add', 'add', { by: 1 }).catch((e: SalusError) => e.code))).toBe('CONTRACT_NOT_FOUND');
    expect((await via(2).call('hostile', 'add', { by: 1 })).value).toBe(1);

    const outcomes: Record<string, { code: string; gasUsed: unknown }> = {};
    for (const [i, method] of (['spin', 'deep', 'huge', 'boom'] as const).entries()) {
      const started = Date.now();
      const e = (await via(i).call('hostile', method, null, { gas: 5_000_000 }).then(
        () => undefined,
        (err: SalusError) => err,
      ))!;
      outcomes[method] = { code: e.code, gasUsed: e.meta.gasUsed };
      // the same result is in the block every validator executed
      const other = procs[(i + 1) % 4]!.url;
      await waitFor(async () => (await height(other)) >= Number(e.meta.height), 20_000, 'another node to commit the block');
      const tx = await getJson<{ result: { code: string; gasUsed: number } }>(`${other}/v1/txs/${String(e.meta.hash)}`);
      expect(tx.result).toMatchObject({ code: e.code, gasUsed: e.meta.gasUsed });
      expect(Date.now() - started, `${method} took the network too long`).toBeLessThan(20_000);
    }
    expect(outcomes.spin).toEqual({ code: 'OUT_OF_GAS', gasUsed: 5_000_000 });
    expect(outcomes.deep!.code).toBe('CONTRACT_STACK');
    expect(outcomes.huge!.code).toBe('CONTRACT_MEMORY');
    expect(outcomes.boom!.code).toBe('CONTRACT_FAILED');

    // nothing of the failed calls was kept, and the next good call works
    expect((await via(3).call('hostile', 'add', { by: 1 })).value).toBe(2);
    const h = Math.max(...(await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))));
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((x) => x >= h + 2), 30_000, 'all nodes to go on committing');
    const hashes = await Promise.all([0, 1, 2, 3].map(async (i) => (await getJson<{ header: { appHash: string } }>(`${procs[i]!.url}/v1/blocks/${h + 1}`)).header.appHash));
    expect(new Set(hashes).size).toBe(1);
  });
});
