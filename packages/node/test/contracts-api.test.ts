import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractsClient, Wallet } from '@salus/client';
import { SalusError, toHex } from '@salus/core';
import { bundleContract } from '@salus/contracts';
import { startTestNode, tempDir, type TestNode } from './harness.js';
import { INVOICES_MANIFEST as MANIFEST } from '../src/demo/contracts.js';

/**
 * Contracts over real HTTP on a running node, through the SDK's ContractsClient and the CLI: the
 * example invoices contract deployed, instantiated, called by a provider and a payer, queried with
 * proofs verified in the client, its events followed, and bad requests refused with typed errors.
 */
const root = new URL('../../../', import.meta.url).pathname;
const ENTRY = join(root, 'contracts/invoices/invoices.ts');
const MAIN = join(root, 'packages/node/dist/cli/main.js');


describe('contracts over the HTTP API', () => {
  let t: TestNode;
  let provider: ContractsClient;
  let payer: Wallet;
  let codeHash: string;

  beforeAll(async () => {
    t = await startTestNode();
    provider = new ContractsClient(t.client, t.admin);
    payer = Wallet.create();
    await t.client.send(payer, 'identity', 'register_patient', { encryptionKey: toHex(payer.encryptionPublicKey) });
  });
  afterAll(() => t.close());

  it('deploys once by hash, instantiates, and runs calls of two parties with gas in their results', async () => {
    const { code } = await bundleContract({ entry: ENTRY });
    const first = await provider.deploy(code);
    codeHash = first.codeHash;
    expect(first.receipt?.result.code).toBe('OK');
    expect((await provider.deploy(code)).receipt).toBeNull();
    expect((await provider.code(codeHash)).code).toBe(code);
    await provider.instantiate('invoices', codeHash, MANIFEST);
    const issued = await provider.call<{ status: string; amount: number }>('invoices', 'issue', { id: 'inv-1', payer: payer.publicKeyHex, amount: 12_500, ref: 'march' });
    expect(issued.value).toMatchObject({ status: 'issued', amount: 12_500 });
    expect(issued.gasUsed).toBeGreaterThan(0);
    const asPayer = new ContractsClient(t.client, payer);
    await asPayer.call('invoices', 'approve', { id: 'inv-1' });
    const paid = await asPayer.call<{ status: string }>('invoices', 'pay', { id: 'inv-1' });
    expect(paid.value.status).toBe('paid');
    const info = await provider.info('invoices');
    expect(info).toMatchObject({ codeHash, status: 'active', history: [{ codeHash, version: '1.0.0' }] });
  });

  it('answers a query read-only, and with proofs of every entry it read that the client verifies', async () => {
    const args = { provider: t.admin.publicKeyHex, payer: payer.publicKeyHex };
    const plain = await provider.query('invoices', 'balance', args);
    expect(plain.value).toEqual({ outstanding: 0, paid: 12_500, invoices: 1 });
    const proven = await provider.query('invoices', 'balance', args, { prove: true });
    expect(proven.value).toEqual(plain.value);
    const keys = proven.reads!.map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining(['contracts/instance/invoices', `contracts/code/${codeHash}`, `contracts/data/invoices/pair/${args.provider}/${args.payer}`]));
    // a proof that does not match its header is refused by the client
    const tampered = { ...proven.reads![0]!, value: proven.reads![0]!.value === null ? '00' : null };
    expect(() => t.client.verifyState(tampered)).toThrow(SalusError);
  });

  it("lists the contract's events in order, and follows new ones", async () => {
    const { events, next } = await provider.events('invoices');
    expect(events.map((e) => e.event)).toEqual(['invoice.issued', 'invoice.approved', 'invoice.paid']);
    expect(events[0]!.data).toMatchObject({ id: 'inv-1', amount: 12_500 });
    const seen: string[] = [];
    const stop = provider.watch('invoices', (e) => seen.push(`${e.event}:${String(e.data.id)}`), { from: next, intervalMs: 50 });
    await provider.call('invoices', 'issue', { id: 'inv-2', payer: payer.publicKeyHex, amount: 100 });
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(seen).toEqual(['invoice.issued:inv-2']);
  });

  it('refuses bad requests with typed errors and changes nothing', async () => {
    const code = async (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e as SalusError).code);
    expect(await code(provider.query('nope', 'balance', {}))).toBe('CONTRACT_NOT_FOUND');
    expect(await code(provider.query('invoices', 'issue', {}))).toBe('INVALID_FIELD');
    expect(await code(provider.call('invoices', 'balance', {}))).toBe('INVALID_FIELD');
    expect(await code(provider.call('invoices', 'issue', { id: 'inv-1', payer: payer.publicKeyHex, amount: 5 }))).toBe('CONTRACT_FAILED');
    expect(await code(provider.call('invoices', 'issue', { id: 'x', payer: payer.publicKeyHex, amount: 5 }, { gas: 10 }))).toBe('OUT_OF_GAS');
    expect(await code(provider.call('invoices', 'issue', { id: 'x', payer: payer.publicKeyHex, amount: 5 }, { gas: 10 ** 12 }))).toBe('INVALID_FIELD');
    expect(await code(new ContractsClient(t.client, payer).call('invoices', 'issue', { id: 'y', payer: t.admin.publicKeyHex, amount: 5 }))).toBe('CONTRACT_FORBIDDEN');
    expect(await code(provider.deploy('export function f() { return Math.random(); }'))).toBe('CONTRACT_INVALID');
    const balance = await provider.query('invoices', 'balance', { provider: t.admin.publicKeyHex, payer: payer.publicKeyHex });
    expect(balance.value).toEqual({ outstanding: 100, paid: 12_500, invoices: 2 });
    const modules = await t.client.request<{ modules: { name: string; errors: { code: string }[] }[] }>('GET', '/v1/modules');
    expect(modules.modules.find((m) => m.name === 'contracts')!.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['OUT_OF_GAS', 'CONTRACT_MEMORY', 'CONTRACT_NOT_FOUND']));
  });

  it('the CLI builds to the same code hash, and calls and queries with proofs', async () => {
    const run = async (...args: string[]) => JSON.parse((await promisify(execFile)(process.execPath, [MAIN, 'contract', ...args], { cwd: root, timeout: 60_000 })).stdout) as Record<string, unknown>;
    expect((await run('build', ENTRY)).codeHash).toBe(codeHash);
    const dir = tempDir();
    const key = join(dir, 'admin.json');
    writeFileSync(key, JSON.stringify(t.admin.export()));
    const called = await run('call', 'invoices', 'issue', '--args', JSON.stringify({ id: 'inv-3', payer: payer.publicKeyHex, amount: 7 }), '--key', key, '--node', t.url);
    expect(called).toMatchObject({ value: { id: 'inv-3', status: 'issued' } });
    const q = await run('query', 'invoices', 'invoice', '--args', '{"id":"inv-3"}', '--prove', '--node', t.url);
    expect(q).toMatchObject({ value: { id: 'inv-3', amount: 7 }, provenReads: expect.arrayContaining(['contracts/data/invoices/inv/inv-3']) });
  });
});
