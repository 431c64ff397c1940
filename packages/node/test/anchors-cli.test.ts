import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from '@salus/client';
import { initHome } from '../src/config/home.js';
import { memberPayload, startTestNode, tempDir, type TestNode } from './harness.js';
import { waitFor } from './net-harness.js';

/**
 * `salus anchors …` as real processes (the built CLI) against a node in this process: a device
 * anchors two files' hashes, fetches and saves a verified proof, verifies it offline against the
 * genesis validators; a tampered proof, a report against the honest node, a bad hash and an
 * unregistered key each exit 1 with "error CODE: sentence"; a challenge is answered by the node.
 */
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let t: TestNode;
let dir: string;
const file = (name: string) => join(dir, name);

function salus(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, 'anchors', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => proc.on('close', (code) => (clearTimeout(timer), resolve({ code, ...out }))));
}

async function ok<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await salus(...args);
  expect(r.code, `anchors ${args[0]}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  const home = tempDir();
  initHome({ home, chainId: 'salus-test', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' }, port: 0 });
  t = await startTestNode({ home, options: { records: { custodianKeyFile: `${home}/keys/founding-hospital-admin.json` } } }, true);
  dir = home;
  const device = Wallet.create();
  await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, device, 'device', 'Monitor'));
  writeFileSync(file('device.json'), JSON.stringify(device.export()));
  writeFileSync(file('stranger.json'), JSON.stringify(Wallet.create().export()));
  writeFileSync(file('a.json'), '{"heartRate": 72}');
  writeFileSync(file('b.json'), '{"heartRate": 75}');
});
afterAll(() => t?.close());

describe('salus anchors', () => {
  it('submits, proves, verifies offline, and refuses what does not hold with its code', async () => {
    const sent = await ok<{ batch: number; items: string[]; receipts: string }>('submit', '--key', file('device.json'), '--node', t.url, '--file', file('a.json'), '--file', file('b.json'), '--kind', 'reading', '--label', 'demo', '--out', file('receipts.json'));
    expect(sent.items).toHaveLength(2);
    expect(JSON.parse(readFileSync(sent.receipts, 'utf8'))).toHaveLength(2);
    const proven = await ok<{ verified: boolean; batch: number; hash: string }>('proof', sent.items[1]!, '--node', t.url, '--wait', '20', '--out', file('proof.json'));
    expect(proven).toMatchObject({ verified: true, batch: sent.batch, hash: sent.items[1] });
    expect(await ok('verify', file('proof.json'), '--genesis', join(dir, 'genesis.json'))).toMatchObject({ verified: true, trusted: 'genesis' });

    const p = JSON.parse(readFileSync(file('proof.json'), 'utf8')) as { index: number };
    writeFileSync(file('tampered.json'), JSON.stringify({ ...p, index: p.index ^ 1 }));
    const tampered = await salus('verify', file('tampered.json'));
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/^error BAD_PROOF: /);

    const report = await salus('report', file('receipts.json'), '--key', file('device.json'), '--node', t.url, '--index', '1');
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(/^error ANCHOR_KEPT: /);
    expect((await salus('submit', '--key', file('device.json'), '--node', t.url, '--payload', 'abc')).stderr).toMatch(/^error INVALID_FIELD: /);
    expect((await salus('submit', '--key', file('stranger.json'), '--node', t.url, '--payload', 'ab'.repeat(32))).stderr).toMatch(/^error UNREGISTERED_SIGNER: /);
    expect((await salus('report', file('nope.json'), '--key', file('device.json'), '--node', t.url)).stderr).toMatch(/^error NOT_FOUND: /);

    const anchorer = t.admin.publicKeyHex;
    expect(await ok('challenge', file('receipts.json'), '--key', file('device.json'), '--node', t.url)).toMatchObject({ challenged: true });
    await waitFor(async () => ((await (await fetch(`${t.url}/v1/anchors/challenges/${anchorer}`)).json()) as { challenges: unknown[] }).challenges.length === 0, 10_000, 'the node to answer the challenge');
    expect(await (await fetch(`${t.url}/v1/anchors/misbehaviour/${anchorer}`)).json()).toEqual({ records: [] });
  });
});
