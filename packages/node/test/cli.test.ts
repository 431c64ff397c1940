import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './harness.js';
import { contentDigest, locateValues } from './tamper.js';

/**
 * The salus command line as real processes, as an operator runs it: the built CLI
 * (packages/node/dist/cli/main.js, made by `npx tsc -b`), real ports, real signals, exit codes.
 */
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const running = new Set<ChildProcess>();
let dir: string;

beforeAll(() => {
  if (!existsSync(MAIN)) expect.fail(`${MAIN} is missing: build with "npx tsc -b" first`);
  dir = tempDir('salus-cli-');
});
afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnCli(args: readonly string[]): { proc: ChildProcess; out: { stdout: string; stderr: string }; exit: Promise<Exit> } {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  running.add(proc);
  const out = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => {
    proc.on('close', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal, ...out });
    });
  });
  return { proc, out, exit };
}

/** Runs a command to its end (killed after 20 s). */
async function salus(...args: string[]): Promise<Exit> {
  const { proc, exit } = spawnCli(args);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

const json = <T = Record<string, unknown>>(e: Exit): T => JSON.parse(e.stdout) as T;

/** The one-line error every failing command prints. */
function expectError(e: Exit, code: string): void {
  expect(e.code, e.stderr).toBe(1);
  expect(e.stderr).toMatch(new RegExp(`^error ${code}: \\S.*$`, 'm'));
}

interface RunningNode {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly height: number;
  readonly exit: Promise<Exit>;
}

/** `salus start --home H --port 0`, waiting for the address it prints. */
async function start(home: string): Promise<RunningNode> {
  const { proc, out, exit } = spawnCli(['start', '--home', home, '--port', '0']);
  let ended: Exit | undefined;
  void exit.then((e) => (ended = e));
  for (let i = 0; i < 1500 && !ended; i++) {
    const m = /Salus node running: chain \S+, height (\d+)\n\s+API\s+(http:\/\/\S+)\/v1\/status/.exec(out.stdout);
    if (m) return { proc, url: m[2]!, height: Number(m[1]), exit };
    await new Promise((r) => setTimeout(r, 10));
  }
  proc.kill('SIGKILL');
  return expect.fail(`node did not start: ${JSON.stringify(ended ?? out)}`);
}

async function stop(n: RunningNode): Promise<Exit> {
  n.proc.kill('SIGTERM');
  return n.exit;
}

describe('salus --help', () => {
  it('every command documents itself and exits 0', async () => {
    const commands = [[], ['keys'], ['keys', 'new'], ['keys', 'show'], ['init'], ['start'], ['verify'], ['tx'], ['tx', 'show'], ['block'], ['block', 'show']];
    const results: Exit[] = [];
    for (let i = 0; i < commands.length; i += 4) results.push(...(await Promise.all(commands.slice(i, i + 4).map((c) => salus(...c, '--help')))));
    commands.forEach((c, i) => {
      const r = results[i]!;
      expect(r.code, `${c.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: salus${c.length ? ' ' + c.join(' ') : ''} `);
      expect(r.stdout).toMatch(/-h, --help/);
    });
    expect(results[2]!.stdout).toContain('--out <file>');
    expect(results[5]!.stdout).toContain('--port <port>');
  });
});

describe('salus keys', () => {
  it('keys new writes a 0600 key file, refuses to overwrite it, and keys show reads it', async () => {
    const file = join(dir, 'k1.json');
    const made = await salus('keys', 'new', '--out', file);
    expect(made.code, made.stderr).toBe(0);
    const keys = json<{ file: string; signingKey: string; encryptionKey: string }>(made);
    expect(keys).toMatchObject({ file, signingKey: expect.stringMatching(/^[0-9a-f]{64}$/), encryptionKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const content = readFileSync(file, 'utf8');
    expect(JSON.parse(content)).toMatchObject({ type: 'salus-identity-keys', signing: { publicKey: keys.signingKey } });

    const again = await salus('keys', 'new', '--out', file);
    expectError(again, 'CONFLICT');
    expect(readFileSync(file, 'utf8')).toBe(content);

    const shown = await salus('keys', 'show', file);
    expect(json(shown)).toEqual({ signingKey: keys.signingKey, encryptionKey: keys.encryptionKey });
    expectError(await salus('keys', 'show', join(dir, 'missing.json')), 'CONFIG');
  });
});

describe('a chain run from the command line', () => {
  let home: string;
  let adminKey: string;
  let node: RunningNode | undefined;
  let txHash: string;
  let txHeight: number;
  let member: { signingKey: string; encryptionKey: string };

  beforeAll(async () => {
    home = join(dir, 'home');
    const m = await salus('keys', 'new', '--out', join(dir, 'member.json'));
    member = json(m);
  });
  afterAll(async () => {
    if (node) await stop(node);
  });

  it('init creates a home, once', async () => {
    const r = await salus('init', '--home', home, '--chain-id', 'salus-cli');
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ chainId: string; adminKeyFile: string; validator: string }>(r);
    expect(out.chainId).toBe('salus-cli');
    adminKey = out.adminKeyFile;
    expect(statSync(adminKey).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'keys', 'node.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(home, 'genesis.json'), 'utf8'))).toMatchObject({ chainId: 'salus-cli', validators: [{ pubKey: out.validator }] });
    expectError(await salus('init', '--home', home), 'CONFLICT');
  });

  it('start serves the API; tx adds a member and waits for its commit', async () => {
    node = await start(home);
    expect(node.height).toBe(0);
    const status = (await (await fetch(`${node.url}/v1/status`)).json()) as { chainId: string };
    expect(status.chainId).toBe('salus-cli');
    const payload = JSON.stringify({ org: 'founding-hospital', signingKey: member.signingKey, encryptionKey: member.encryptionKey, role: 'practitioner', name: 'Dr CLI' });
    const r = await salus('tx', '--node', node.url, '--key', adminKey, '--module', 'identity', '--type', 'add_member', '--payload', payload);
    expect(r.code, r.stderr).toBe(0);
    const receipt = json<{ hash: string; height: number; status: string; result: { code: string } }>(r);
    expect(receipt).toMatchObject({ status: 'committed', result: { code: 'OK' } });
    txHash = receipt.hash;
    txHeight = receipt.height;
    // the same member again is refused at admission, with the node's code
    expectError(await salus('tx', '--node', node.url, '--key', adminKey, '--module', 'identity', '--type', 'add_member', '--payload', payload), 'CONFLICT');
  });

  it('tx show verifies the inclusion proof and the commit; block show prints blocks', async () => {
    const shown = await salus('tx', 'show', txHash, '--node', node!.url);
    expect(shown.code, shown.stderr).toBe(0);
    expect(json(shown)).toMatchObject({ hash: txHash, height: txHeight, verified: true, decoded: { module: 'identity', type: 'add_member' } });
    const latest = await salus('block', 'show', 'latest', '--node', node!.url);
    expect(latest.code, latest.stderr).toBe(0);
    expect(json<{ height: number }>(latest).height).toBeGreaterThanOrEqual(txHeight);
    const b = json<{ height: number; txs: { hash: string }[]; header: { hash: string } }>(await salus('block', 'show', String(txHeight), '--node', node!.url));
    expect(b.txs.map((t) => t.hash)).toEqual([txHash]);
    expect(b.header.hash).toMatch(/^[0-9a-f]{64}$/);
    expectError(await salus('tx', 'show', 'ab'.repeat(32), '--node', node!.url), 'NOT_FOUND');
  });

  it('errors: a missing key file, bad JSON, missing options → exit 1 and "error CODE: sentence"', async () => {
    const url = node!.url;
    const missing = await salus('tx', '--node', url, '--key', join(dir, 'nope.json'), '--module', 'identity', '--type', 'add_member', '--payload', '{}');
    expectError(missing, 'CONFIG');
    expect(missing.stderr).toContain('nope.json');
    expectError(await salus('tx', '--node', url, '--key', adminKey, '--module', 'identity', '--type', 'add_member', '--payload', '{"org": '), 'MALFORMED_ENCODING');
    expectError(await salus('tx', '--node', url, '--module', 'identity', '--type', 'add_member'), 'CONFIG');
    expectError(await salus('tx', '--node', url, '--key', adminKey, '--module', 'identity', '--type', 'add_member', '--payload', '{"org":"founding-hospital"}'), 'INVALID_FIELD');
    const notKey = join(dir, 'not-a-key.json');
    writeFileSync(notKey, '{"hello": 1}');
    expectError(await salus('tx', '--node', url, '--key', notKey, '--module', 'identity', '--type', 'add_member', '--payload', '{}'), 'INVALID_FIELD');
    expectError(await salus('init', '--home', join(dir, 'h2'), '--org-kind', 'castle'), 'CONFIG');
    expectError(await salus('verify', join(dir, 'no-such-home')), 'CONFIG');
  });

  it('SIGTERM stops the node cleanly; verify passes; start again continues the height', async () => {
    const before = json<{ height: number }>(await salus('block', 'show', 'latest', '--node', node!.url)).height;
    const exited = await stop(node!);
    node = undefined;
    expect(exited.code, exited.stderr).toBe(0);
    expect(exited.stderr).toContain('node stopped');
    const v = await salus('verify', home);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(json(v)).toMatchObject({ ok: true, txs: 1 });
    expect(json<{ height: number }>(v).height).toBeGreaterThanOrEqual(before);

    node = await start(home);
    expect(node.height).toBe(json<{ height: number }>(v).height);
    const shown = await salus('tx', 'show', txHash, '--node', node.url);
    expect(json(shown)).toMatchObject({ height: txHeight, verified: true });
    // the chain goes on: the next (empty) block comes within a second
    const status = async () => ((await (await fetch(`${node!.url}/v1/status`)).json()) as { height: number }).height;
    for (let i = 0; i < 500 && (await status()) <= node.height; i++) await new Promise((r) => setTimeout(r, 10));
    expect(json<{ height: number }>(await salus('block', 'show', 'latest', '--node', node.url)).height).toBeGreaterThan(node.height);
    expect((await stop(node)).code).toBe(0);
    node = undefined;
  });

  it('verify exits 1 after one changed byte in a stored block, and the node refuses to start', async () => {
    const db = join(home, 'data', 'salus.db');
    const original = readFileSync(db);
    const digest = contentDigest(db);
    const headers = locateValues(db).filter((r) => r.what.startsWith('blocks.header@'));
    const last = Math.max(...headers.map((r) => r.height!));
    // the copy of the last header that the database reads (stale copies may linger in free space)
    const live = headers
      .filter((r) => r.height === last)
      .find((r) => {
        const b = Buffer.from(original);
        b[r.start + 40] = b[r.start + 40]! ^ 0x01;
        writeFileSync(db, b);
        return contentDigest(db) !== digest;
      });
    expect(live).toBeDefined();
    const v = await salus('verify', home);
    expect(v.code).toBe(1);
    expect(json(v)).toMatchObject({ ok: false, error: { height: last, object: 'header' } });
    const s = spawnCli(['start', '--home', home, '--port', '0']);
    expectError(await s.exit, 'CORRUPT_DATA');
  });
});
