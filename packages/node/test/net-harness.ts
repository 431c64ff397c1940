import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from '@salus/client';
import { toHex } from '@salus/core';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import type { NodeOptionsInput } from '../src/config/options.js';
import { FAST_LOCAL_TIMEOUTS } from '../src/config/fast.js';

/** Fast timeouts so that faults resolve in seconds; the protocol is the same. */
export const FAST: NodeOptionsInput = FAST_LOCAL_TIMEOUTS;

export const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** A base port with `count` free consecutive ports after it on loopback, below the ephemeral range. */
export { freePortRange } from '../src/config/ports.js';

export interface NodeProc {
  readonly home: string;
  child: ChildProcess;
  url: string;
}

/** Starts `salus start --home` (and `args`) as its own process; resolves once it prints its API address. */
export function startNodeProcess(home: string, args: readonly string[] = []): Promise<NodeProc> {
  const log = openSync(join(home, 'node.log'), 'a');
  const child = spawn(process.execPath, [MAIN, 'start', '--home', home, ...args], { stdio: ['ignore', 'pipe', log] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new TypeError(`node in ${home} did not start`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /API\s+(\S+)\/v1\/status/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ home, child, url });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new TypeError(`node in ${home} exited with ${code}; its node.log ends:\n${logTail(join(home, 'node.log'))}`));
    });
  });
}

/** The last few KB of a log file, for error messages (the test's temporary directory is gone by the time anyone reads CI output). */
function logTail(file: string, bytes = 4000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch (e) {
    return `(unreadable: ${(e as Error).message})`;
  }
}

export function stopProcess(p: NodeProc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => {
    p.child.once('exit', (code) => resolve(code));
    p.child.kill(signal);
  });
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

export async function height(url: string): Promise<number> {
  try {
    return (await getJson<{ height: number }>(`${url}/v1/status`)).height;
  } catch {
    return -1;
  }
}

/** Polls `cond` until it holds; fails naming `what` after `ms`. */
export async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TypeError(`timed out after ${ms} ms waiting for ${what}`);
}

const ed = createNativeEd25519();

/** A signed register_patient transaction of a fresh key (needs no registration and nonce 0). */
export function patientTx(chainId: string): { bytes: Uint8Array; hash: string } {
  const w = Wallet.create(ed);
  const { bytes, hash } = w.buildTx({ chainId, nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(w.encryptionPublicKey) } });
  return { bytes, hash };
}

/** Submits without waiting; returns the hash if the node acknowledged it (202). */
export async function submit(url: string, tx: { bytes: Uint8Array; hash: string }): Promise<string | undefined> {
  try {
    const r = await fetch(`${url}/v1/txs?wait=none`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: tx.bytes as unknown as BodyInit });
    return r.status === 202 ? tx.hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The files under `root` whose bytes contain `needle`. Running nodes rename temporary files while
 * the walk goes on: a file gone before it is read held nothing to find.
 */
export function filesContaining(root: string, needle: string | Uint8Array): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle);
  return readdirSync(root, { recursive: true, withFileTypes: true }).flatMap((f) => {
    if (!f.isFile()) return [];
    const path = join(f.parentPath, f.name);
    try {
      return readFileSync(path).includes(bytes) ? [path] : [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  });
}
