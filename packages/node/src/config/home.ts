import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SalusError, generateIdentityKeys, toHex, type IdentityKeys } from '@salus/core';
import { parseGenesis, type Genesis, type OrgKind } from '@salus/module';
import { readKeyFile, writeKeyFile } from './keyfile.js';
import type { NodeOptionsInput } from './options.js';

/**
 * A node's home directory:
 *   config.json   options (NodeOptionsInput)
 *   genesis.json  the chain's genesis, identical on every node
 *   keys/node.json  this validator's keys (0600)
 *   keys/<org>-admin.json  founding organisation admin keys made by `init` (0600)
 *   data/salus.db  embedded storage
 */
export const homePaths = (home: string) => ({
  config: join(home, 'config.json'),
  genesis: join(home, 'genesis.json'),
  keys: join(home, 'keys'),
  nodeKey: join(home, 'keys', 'node.json'),
  data: join(home, 'data'),
  db: join(home, 'data', 'salus.db'),
});

export interface InitOptions {
  readonly home: string;
  readonly chainId: string;
  readonly org: { readonly id: string; readonly name: string; readonly kind: OrgKind };
  readonly port?: number;
  readonly genesisTime?: number;
}

/** Creates a single-validator chain home: node key, founding organisation admin key, genesis, config. */
export function initHome(o: InitOptions): { genesis: Genesis; adminKeyFile: string } {
  const p = homePaths(o.home);
  if (existsSync(p.genesis)) throw new SalusError('CONFLICT', `${o.home} is already initialised`);
  mkdirSync(p.keys, { recursive: true, mode: 0o700 });
  mkdirSync(p.data, { recursive: true, mode: 0o700 });
  const node = generateIdentityKeys();
  const admin = generateIdentityKeys();
  writeKeyFile(p.nodeKey, node);
  const adminKeyFile = join(p.keys, `${o.org.id}-admin.json`);
  writeKeyFile(adminKeyFile, admin);
  const genesis = parseGenesis({
    chainId: o.chainId,
    genesisTime: o.genesisTime ?? Date.now(),
    organisations: [
      { id: o.org.id, name: o.org.name, kind: o.org.kind, adminKey: toHex(admin.signing.publicKey), encryptionKey: toHex(admin.encryption.publicKey) },
    ],
    validators: [{ pubKey: toHex(node.signing.publicKey), power: 10, org: o.org.id }],
  });
  writeFileSync(p.genesis, JSON.stringify(genesis, null, 2) + '\n');
  const config: NodeOptionsInput = { api: { port: o.port ?? 26657 } };
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  return { genesis, adminKeyFile };
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SalusError('CONFIG', `cannot read ${what} at ${path}; run "salus init" first`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SalusError('CONFIG', `${what} at ${path} is not valid JSON`);
  }
}

export function loadHome(home: string) {
  const p = homePaths(home);
  return {
    paths: p,
    genesis: parseGenesis(readJson(p.genesis, 'genesis')),
    options: (existsSync(p.config) ? readJson(p.config, 'config') : {}) as NodeOptionsInput,
    nodeKeys: readKeyFile(p.nodeKey),
  };
}

export interface JoinOptions {
  readonly home: string;
  /** the network's genesis, as every node has it */
  readonly genesis: Genesis;
  /** peers to dial: id@host:port */
  readonly peers: readonly { id: string; host: string; port: number }[];
  readonly apiPort?: number;
  readonly p2pPort?: number;
  /** an existing key file (a validator's, made earlier); otherwise a fresh node key */
  readonly nodeKeys?: IdentityKeys;
}

/**
 * Creates the home of a node joining an existing network: its own node key, the network's genesis
 * and its peers. It follows the chain (block sync and consensus messages) as a non-validator until
 * governance makes its key a validator. Peers accept it once its node id is in their p2p.allowedKeys.
 */
export function joinHome(o: JoinOptions): { nodeId: string } {
  const p = homePaths(o.home);
  if (existsSync(p.genesis)) throw new SalusError('CONFLICT', `${o.home} is already initialised`);
  mkdirSync(p.keys, { recursive: true, mode: 0o700 });
  mkdirSync(p.data, { recursive: true, mode: 0o700 });
  const node = o.nodeKeys ?? generateIdentityKeys();
  writeKeyFile(p.nodeKey, node);
  writeFileSync(p.genesis, JSON.stringify(o.genesis, null, 2) + '\n');
  const config: NodeOptionsInput = { api: { port: o.apiPort ?? 26657 }, p2p: { port: o.p2pPort ?? 26656, peers: [...o.peers] } };
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  return { nodeId: toHex(node.signing.publicKey) };
}

/** Parses "id@host:port" as printed by `salus start` and `salus localnet`. */
export function parsePeer(s: string): { id: string; host: string; port: number } {
  const m = /^([0-9a-f]{64})@([^:@\s]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65_535) throw new SalusError('CONFIG', `peer "${s}" is not <64 hex node id>@<host>:<port>`);
  return { id: m[1]!, host: m[2]!, port: Number(m[3]) };
}
