import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SalusClient, Wallet, type StateResponse } from '@salus/client';
import { fromHex } from '@salus/core';
import { parseGenesis } from '@salus/module';
import type { ItemRecord } from '@salus/channels';
import { initChains, custodyChannel } from '../src/config/localnet-chains.js';
import { localnetHome } from '../src/config/localnet.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, MAIN, type NodeProc, freePortRange, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';

/**
 * Two chains of two validator processes each on loopback, joined by a custody channel fixed in
 * their genesis files, and `salus channels relay` as a process of its own between their APIs: an
 * item goes from chain a to chain b, another from b to a, and the first comes back. Every step is
 * read from both chains with state proofs checked against each chain's genesis validators only.
 */
const ed = createNativeEd25519();

/** `salus channels …` as a process of its own; its JSON answer (exit 0 expected). */
function cli(...args: string[]): Promise<Record<string, unknown>> {
  const proc = spawn(process.execPath, [MAIN, 'channels', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve, reject) =>
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.stdout) as Record<string, unknown>) : reject(new TypeError(`salus channels ${args[0]} exited ${code}: ${out.stderr}`)))),
  );
}

describe('custody between two chains over a relayer', () => {
  const dir = tempDir('salus-channels-net-');
  const procs: NodeProc[] = [];
  let relayer: ChildProcess | undefined;
  afterAll(async () => {
    relayer?.kill('SIGKILL');
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves an item each way and back, each step proven on both chains', async () => {
    const base = await freePortRange(8);
    const [na, nb] = initChains({ dir, chains: 2, validators: 2, chainId: 'salus-ch', apiPortBase: base, p2pPortBase: base + 4, config: FAST }) as [ReturnType<typeof initChains>[0], ReturnType<typeof initChains>[0]];
    for (const n of [...na, ...nb]) procs.push(await startNodeProcess(n.home));
    const [urlA, urlB] = [procs[0]!.url, procs[2]!.url];
    await waitFor(async () => (await Promise.all(procs.map((p) => height(p.url)))).every((h) => h >= 2), 30_000, 'both chains to commit');

    const chain = (nodes: typeof na, url: string) => {
      const genesis = parseGenesis(JSON.parse(readFileSync(join(nodes[0]!.home, 'genesis.json'), 'utf8')));
      const trustedValidators = [...genesis.validators].sort((x, y) => (x.pubKey < y.pubKey ? -1 : 1)).map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
      const admin = Wallet.import(JSON.parse(readFileSync(join(localnetHome(join(dir, nodes === na ? 'chain-a' : 'chain-b'), 0), 'keys', `${nodes[0]!.org}-admin.json`), 'utf8')), ed);
      return { client: new SalusClient({ url, ed, trustedValidators }), admin };
    };
    const a = chain(na, urlA);
    const b = chain(nb, urlB);

    relayer = spawn(process.execPath, [MAIN, 'channels', 'relay', '--from', urlA, '--to', urlB, '--interval', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let relayLog = '';
    relayer.stdout!.on('data', (d: Buffer) => (relayLog += d.toString()));
    relayer.stderr!.on('data', (d: Buffer) => (relayLog += d.toString()));

    /** The item's record on a chain, its proof verified against that chain's genesis validators. */
    const proven = async (c: typeof a, item: string): Promise<ItemRecord | null> => {
      const r = await c.client.request<StateResponse>('GET', `/v1/channels/items/${item}`);
      c.client.verifyState(r);
      return r.decoded as ItemRecord | null;
    };
    const until = async (c: typeof a, item: string, want: (r: ItemRecord | null) => boolean, what: string) => {
      await waitFor(async () => want(await proven(c, item)), 60_000, `${what} (relayer said: ${relayLog.slice(-2000)})`);
    };

    await a.client.send(a.admin, 'channels', 'register_item', { item: 'pack-from-a' });
    await b.client.send(b.admin, 'channels', 'register_item', { item: 'pointer-from-b' });
    const timeoutOn = async (c: typeof a) => (await c.client.status()).height + 200;
    await a.client.send(a.admin, 'channels', 'send_item', { item: 'pack-from-a', channel: custodyChannel('b'), receiver: b.admin.publicKeyHex, timeoutHeight: await timeoutOn(b) });
    await b.client.send(b.admin, 'channels', 'send_item', { item: 'pointer-from-b', channel: custodyChannel('a'), receiver: a.admin.publicKeyHex, timeoutHeight: await timeoutOn(a) });
    // escrowed on a from the send on (then away): a proven read never shows it held there again
    await until(a, 'pack-from-a', (r) => r?.status === 'escrowed' || r?.status === 'away', 'pack-from-a escrowed on a');

    // a → b: held by b's admin on b; away from a once the acknowledgement is back
    await until(b, 'pack-from-a', (r) => r?.status === 'held' && r.holder === b.admin.publicKeyHex && r.via === 'custody-a', 'pack-from-a held on b');
    await until(a, 'pack-from-a', (r) => r?.status === 'away', 'pack-from-a away from a');
    // b → a
    await until(a, 'pointer-from-b', (r) => r?.status === 'held' && r.holder === a.admin.publicKeyHex, 'pointer-from-b held on a');
    await until(b, 'pointer-from-b', (r) => r?.status === 'away', 'pointer-from-b away from b');
    // never held on two chains at once
    expect((await proven(b, 'pointer-from-b'))?.holder).toBeNull();

    // and back home: b's holder returns pack-from-a; a holds it again, b forgets it (proven absent)
    // (through the CLI, as an operator would)
    const keyB = join(dir, 'chain-b', 'node0', 'keys', `${nb[0]!.org}-admin.json`);
    const sent = await cli('send-item', 'pack-from-a', '--channel', custodyChannel('a'), '--receiver', a.admin.publicKeyHex, '--key', keyB, '--node', urlB, '--dest-node', urlA);
    expect(sent).toMatchObject({ item: 'pack-from-a', channel: 'custody-a', sequence: 2 });
    await until(a, 'pack-from-a', (r) => r?.status === 'held' && r.holder === a.admin.publicKeyHex && r.via === null, 'pack-from-a home on a');
    await until(b, 'pack-from-a', (r) => r === null, 'pack-from-a gone from b');
    expect(relayLog).toMatch(/received/);
    const shown = await cli('item', 'pack-from-a', '--node', urlA, '--genesis', join(dir, 'chain-a', 'node0', 'genesis.json'));
    expect(shown).toMatchObject({ verified: true, item: 'pack-from-a', record: { status: 'held', holder: a.admin.publicKeyHex } });
  }, 180_000);

  it('`salus localnet --chains 2` starts two chains, prints their APIs, relays, and moves one item each way', async () => {
    const base = await freePortRange(8);
    const net = join(dir, 'localnet');
    const proc = spawn(process.execPath, [MAIN, 'localnet', '--chains', '2', '--dir', net, '--api-port', String(base), '--p2p-port', String(base + 4)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /Demo transfers done/.test(out) || proc.exitCode !== null, 120_000, `the demo transfers (localnet said: ${out.slice(-2000)})`);
      expect(out).toMatch(/2 chains, 2 validators each/);
      expect(out).toContain(`API http://127.0.0.1:${base}`);
      expect(out).toContain(`API http://127.0.0.1:${base + 2}`);
      expect(out).toContain('Demo transfers done');
      const held = async (url: string, item: string) => ((await new SalusClient({ url }).request<StateResponse>('GET', `/v1/channels/items/${item}`)).decoded as ItemRecord | null)?.status;
      expect(await held(`http://127.0.0.1:${base + 2}`, 'sgtin:0614141.107346.1001')).toBe('held');
      expect(await held(`http://127.0.0.1:${base}`, 'record-set:consortium-b.0001')).toBe('held');
    } finally {
      await new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    }
  }, 180_000);
});
