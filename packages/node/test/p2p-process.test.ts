import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SalusError, generateIdentityKeys, randomBytes, toHex } from '@salus/core';
import { CHANNELS, NET, Teardown, makePeer, nextEvent, until } from './fixtures/p2p-helpers.js';

const td = new Teardown();
afterEach(() => td.run());

const FIXTURE = fileURLToPath(new URL('./fixtures/p2p-peer.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/p2p/index.js', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string[];
  line(pred: (l: Record<string, unknown>) => boolean, label: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Spawns the fixture as a separate Node process; the teardown kills it if the test has not. */
function spawnPeer(cfg: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, [FIXTURE], { stdio: ['pipe', 'pipe', 'pipe'] });
  td.add(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    }
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  proc.stdin!.end(JSON.stringify(cfg) + '\n');
  const line = (pred: (l: Record<string, unknown>) => boolean, label: string, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(pred);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new SalusError('TIMEOUT', `child: no ${label} within ${timeoutMs} ms; stderr: ${stderr.join('')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { proc, lines, stderr, line };
}

describe('p2p with a peer in a separate process', () => {
  it('exchanges messages, notices the process killed, and reconnects with backoff when it restarts on the same port', async () => {
    expect(existsSync(BUILT), 'run `npx tsc -b` first: the fixture imports packages/node/dist').toBe(true);
    const childKeys = generateIdentityKeys();
    const childId = toHex(childKeys.signing.publicKey);
    const a = makePeer(td, { allowed: [childId] });
    await a.p2p.start();
    const cfg = (port: number) => ({
      seed: toHex(childKeys.signing.secretKey),
      port,
      networkId: NET,
      channels: CHANNELS,
      allowed: [a.id],
      peers: [{ id: a.id, host: '127.0.0.1', port: a.port() }],
    });

    // The child dials us as soon as it listens; we learn its port and dial it too (the tie-break keeps one link).
    const connected = nextEvent(a.p2p, 'connected', (id) => id === childId, 'child connected', 15_000);
    const c1 = spawnPeer(cfg(0));
    const { port } = (await c1.line((l) => l.event === 'listening', 'listening')) as { port: number };
    expect((await c1.line((l) => l.event === 'listening', 'listening')).id).toBe(childId);
    a.p2p.addPeer({ id: childId, host: '127.0.0.1', port });
    await connected;

    const payload = randomBytes(3000);
    const echo = nextEvent(a.p2p, 'message', (from, ch) => from === childId && ch === 2, 'echo');
    await until(() => a.p2p.send(childId, 2, payload), 'message queued on the surviving link');
    const [, , back] = await echo;
    expect(toHex(back)).toBe(toHex(payload));
    await until(() => a.p2p.stats().linksPending === 0, 'duplicate links settled');

    // Kill -9: no goodbye, the kernel resets the connection.
    const lost = nextEvent(a.p2p, 'disconnected', (id) => id === childId, 'loss of the killed child');
    c1.proc.kill('SIGKILL');
    await once(c1.proc, 'exit');
    await lost;
    await until(() => a.p2p.stats().dialsFailed >= 2, 'redials failing while the child is down');
    expect(a.p2p.peers()[0]!.dialAttempts).toBeGreaterThanOrEqual(2);

    // Restarted on the same port with the same key: we reconnect by ourselves.
    const again = nextEvent(a.p2p, 'connected', (id) => id === childId, 'reconnection', 15_000);
    const c2 = spawnPeer(cfg(port));
    await c2.line((l) => l.event === 'listening', 'listening after restart');
    await again;
    const echo2 = nextEvent(a.p2p, 'message', (from, ch, m) => from === childId && ch === 1 && m.length === 1, 'echo after restart');
    await until(() => a.p2p.send(childId, 1, Uint8Array.of(42)), 'message queued after restart');
    await echo2;

    // A clean stop of the child is seen as a disconnection too.
    const stopped = nextEvent(a.p2p, 'disconnected', (id) => id === childId, 'child stopped');
    c2.proc.kill('SIGTERM');
    const [code] = (await once(c2.proc, 'exit')) as [number | null];
    expect(code).toBe(0);
    await stopped;
  });
});
