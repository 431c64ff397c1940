import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SalusError, generateIdentityKeys, toHex, type IdentityKeys } from '@salus/core';
import { ORG_KINDS, parseGenesis, type Genesis, type OrgKind } from '@salus/module';
import { homePaths } from './home.js';
import { writeKeyFile } from './keyfile.js';
import type { NodeOptionsInput } from './options.js';

export interface LocalnetOptions {
  /** directory holding one home per validator: node0, node1, … */
  readonly dir: string;
  readonly validators: number;
  readonly chainId: string;
  /** API of node i listens on apiPortBase + i, p2p on p2pPortBase + i */
  readonly apiPortBase: number;
  readonly p2pPortBase: number;
  readonly host?: string;
  readonly genesisTime?: number;
  /** further options for every node's config.json (e.g. faster timeouts in tests) */
  readonly config?: NodeOptionsInput;
}

export interface LocalnetNode {
  readonly index: number;
  readonly home: string;
  readonly org: string;
  readonly nodeId: string;
  readonly apiPort: number;
  readonly p2pPort: number;
}

/** The organisations of a local network: one of each kind a consortium has, cycling. */
const LOCAL_KINDS: readonly OrgKind[] = ['hospital', 'insurer', 'manufacturer', 'pharmacy', 'sponsor', 'clinic', 'distributor', 'regulator'];

export const localnetHome = (dir: string, i: number) => join(dir, `node${i}`);

export function localnetExists(dir: string): boolean {
  return existsSync(homePaths(localnetHome(dir, 0)).genesis);
}

/**
 * Creates the homes of a local network of `validators` nodes on one machine: each node is run by
 * its own founding organisation with one validator of equal power; all share one genesis; each
 * node's config lists every other node as a peer on loopback.
 */
export function initLocalnet(o: LocalnetOptions): LocalnetNode[] {
  if (!Number.isSafeInteger(o.validators) || o.validators < 1 || o.validators > 32) throw new SalusError('CONFIG', '--validators must be 1 to 32');
  if (localnetExists(o.dir)) throw new SalusError('CONFLICT', `${o.dir} already holds a local network`);
  const host = o.host ?? '127.0.0.1';
  const nodes: { keys: IdentityKeys; admin: IdentityKeys; org: string; kind: OrgKind }[] = [];
  for (let i = 0; i < o.validators; i++) {
    const kind = LOCAL_KINDS[i % LOCAL_KINDS.length]!;
    if (!(ORG_KINDS as readonly string[]).includes(kind)) throw new SalusError('CONFIG', `unknown organisation kind ${kind}`);
    nodes.push({ keys: generateIdentityKeys(), admin: generateIdentityKeys(), org: `${kind}-${i + 1}`, kind });
  }
  const genesis: Genesis = parseGenesis({
    chainId: o.chainId,
    genesisTime: o.genesisTime ?? Date.now(),
    organisations: nodes.map((n) => ({
      id: n.org,
      name: `${n.kind[0]!.toUpperCase()}${n.kind.slice(1)} ${n.org.split('-')[1]}`,
      kind: n.kind,
      adminKey: toHex(n.admin.signing.publicKey),
      encryptionKey: toHex(n.admin.encryption.publicKey),
    })),
    validators: nodes.map((n) => ({ pubKey: toHex(n.keys.signing.publicKey), power: 10, org: n.org })),
  });
  return nodes.map((n, i) => {
    const home = localnetHome(o.dir, i);
    const p = homePaths(home);
    mkdirSync(p.keys, { recursive: true, mode: 0o700 });
    mkdirSync(p.data, { recursive: true, mode: 0o700 });
    writeKeyFile(p.nodeKey, n.keys);
    writeKeyFile(join(p.keys, `${n.org}-admin.json`), n.admin);
    writeFileSync(p.genesis, JSON.stringify(genesis, null, 2) + '\n');
    const peers = nodes
      .map((m, j) => ({ id: toHex(m.keys.signing.publicKey), host, port: o.p2pPortBase + j }))
      .filter((_, j) => j !== i);
    const config: NodeOptionsInput = {
      ...o.config,
      api: { ...o.config?.api, host, port: o.apiPortBase + i },
      p2p: { ...o.config?.p2p, host, port: o.p2pPortBase + i, peers },
      // the node acts as its organisation's key custodian for emergency release (docs/records.md)
      records: { ...o.config?.records, custodianKeyFile: resolve(join(p.keys, `${n.org}-admin.json`)) },
    };
    writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
    return { index: i, home, org: n.org, nodeId: toHex(n.keys.signing.publicKey), apiPort: o.apiPortBase + i, p2pPort: o.p2pPortBase + i };
  });
}
