import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SalusClient, Wallet } from '@salus/client';
import type { Clock } from '@salus/consensus';
import { SalusNode } from '../src/node.js';
import { initHome, loadHome } from '../src/config/home.js';
import type { NodeOptionsInput } from '../src/config/options.js';

export function tempDir(prefix = 'salus-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestNode {
  readonly home: string;
  readonly node: SalusNode;
  readonly url: string;
  readonly client: SalusClient;
  readonly admin: Wallet;
  readonly orgId: string;
  restart(): Promise<TestNode>;
  close(): Promise<void>;
}

/**
 * A real node in this process on a loopback port, with a temporary home directory (removed by
 * close(), also after restarts, unless the caller gave the home).
 */
export async function startTestNode(o: { home?: string; options?: NodeOptionsInput; clock?: Clock } = {}, ownsHome = !o.home): Promise<TestNode> {
  const home = o.home ?? tempDir();
  if (!o.home) initHome({ home, chainId: 'salus-test', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' }, port: 0 });
  const h = loadHome(home);
  const options: NodeOptionsInput = { ...o.options, api: { port: 0, ...o.options?.api }, solo: { blockIntervalMs: 5, emptyBlockIntervalMs: 200, ...o.options?.solo } };
  const node = new SalusNode({ genesis: h.genesis, nodeKeys: h.nodeKeys, dataDir: h.paths.data, dbFile: h.paths.db, options, clock: o.clock, logger: pino({ level: 'silent' }) });
  const { url } = await node.start();
  const admin = Wallet.import(JSON.parse(readFileSync(join(home, 'keys', 'founding-hospital-admin.json'), 'utf8')));
  const t: TestNode = {
    home,
    node,
    url,
    client: new SalusClient({ url }),
    admin,
    orgId: 'founding-hospital',
    restart: async () => {
      await node.stop();
      return startTestNode({ ...o, home }, ownsHome);
    },
    close: async () => {
      await node.stop();
      if (ownsHome) rmSync(home, { recursive: true, force: true });
    },
  };
  return t;
}

export function memberPayload(org: string, w: Wallet, role = 'practitioner', name = 'Dr Test') {
  return { org, signingKey: w.publicKeyHex, encryptionKey: Buffer.from(w.encryptionPublicKey).toString('hex'), role, name };
}
