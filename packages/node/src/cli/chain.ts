import type { Command } from 'commander';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { initHome, joinHome, loadHome, homePaths, parsePeer } from '../config/home.js';
import { readKeyFile } from '../config/keyfile.js';
import { mergeOptions } from '../config/options.js';
import { verifyStorage } from '../ledger/verify.js';
import { SalusNode } from '../node.js';
import { stateSyncIfNeeded } from '../statesync/start.js';
import { pino, destination } from 'pino';
import { print } from './keys.js';
import { SalusError } from '@salus/core';
import { isStorageFailure } from '../storage/failure.js';
import { parseGenesis, ORG_KINDS, type OrgKind } from '@salus/module';

/** Exit codes of a node that stopped on its own (sysexits: EX_IOERR, EX_SOFTWARE). */
export const EXIT_STORAGE = 74;
export const EXIT_FATAL = 70;

export const DEV_HOME = '.salus/dev';

export function registerChain(program: Command): void {
  program
    .command('init')
    .description('Create a home directory for a new single-validator chain: node key, founding organisation, genesis, config')
    .requiredOption('--home <dir>', 'home directory to create')
    .option('--chain-id <id>', 'chain id', 'salus-local')
    .option('--org-id <id>', 'founding organisation id', 'founding-hospital')
    .option('--org-name <name>', 'founding organisation name', 'Founding Hospital')
    .option('--org-kind <kind>', `one of ${ORG_KINDS.join(', ')}`, 'hospital')
    .option('--port <port>', 'API port', '26657')
    .action((o: { home: string; chainId: string; orgId: string; orgName: string; orgKind: string; port: string }) => {
      if (!(ORG_KINDS as readonly string[]).includes(o.orgKind)) throw new SalusError('CONFIG', `--org-kind must be one of ${ORG_KINDS.join(', ')}`);
      const { genesis, adminKeyFile } = initHome({
        home: o.home,
        chainId: o.chainId,
        org: { id: o.orgId, name: o.orgName, kind: o.orgKind as OrgKind },
        port: Number(o.port),
      });
      print({ home: o.home, chainId: genesis.chainId, validator: genesis.validators[0]!.pubKey, adminKeyFile });
    });

  program
    .command('join')
    .description('Create the home of a node joining an existing network: its node key, the network\'s genesis, its peers. It follows the chain; governance can make it a validator')
    .requiredOption('--home <dir>', 'home directory to create')
    .requiredOption('--genesis <file>', 'the network\'s genesis.json')
    .requiredOption('--peer <id@host:port...>', 'peers to dial (repeat or list), as printed by start and localnet')
    .option('--port <port>', 'API port', '26657')
    .option('--p2p-port <port>', 'p2p port', '26656')
    .option('--node-key <file>', 'use this key file as the node key instead of a fresh one')
    .action((o: { home: string; genesis: string; peer: string[]; port: string; p2pPort: string; nodeKey?: string }) => {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(o.genesis, 'utf8'));
      } catch {
        throw new SalusError('CONFIG', `cannot read genesis ${o.genesis}`);
      }
      const { nodeId } = joinHome({
        home: o.home,
        genesis: parseGenesis(json),
        peers: o.peer.flatMap((x) => x.split(',')).map(parsePeer),
        apiPort: Number(o.port),
        p2pPort: Number(o.p2pPort),
        ...(o.nodeKey ? { nodeKeys: readKeyFile(o.nodeKey) } : {}),
      });
      print({ home: o.home, nodeId, next: `add "${nodeId}" to p2p.allowedKeys in the config.json of the peers, then: npx salus start --home ${o.home}` });
    });

  program
    .command('start')
    .description('Start a node from its home directory; Ctrl-C stops it, and starting again continues the chain')
    .option('--home <dir>', 'home directory', DEV_HOME)
    .option('--dev', 'create the home directory with a development chain if it does not exist', false)
    .option('--port <port>', 'API port (overrides config.json)')
    .option('--p2p-port <port>', 'p2p port (overrides config.json)')
    .option('--state-sync <height:hash>', 'an empty node starts from a peer\'s state snapshot below this trusted header (overrides stateSync in config.json)')
    .action(async (o: { home: string; dev: boolean; port?: string; p2pPort?: string; stateSync?: string }) => {
      if (o.dev && !existsSync(homePaths(o.home).genesis)) {
        initHome({ home: o.home, chainId: 'salus-dev', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' } });
      }
      const h = loadHome(o.home);
      let options = o.port ? { ...h.options, api: { ...h.options.api, port: Number(o.port) } } : h.options;
      if (o.p2pPort) options = { ...options, p2p: { ...options.p2p, port: Number(o.p2pPort) } };
      if (o.stateSync) options = { ...options, stateSync: { ...options.stateSync, ...parseTrust(o.stateSync) } };
      const merged = mergeOptions(options);
      await stateSyncIfNeeded({ genesis: h.genesis, nodeKeys: h.nodeKeys, options: merged, dataDir: h.paths.data, dbFile: h.paths.db, log: pino({ level: merged.log.level }, destination(2)) });
      const node = new SalusNode({ genesis: h.genesis, nodeKeys: h.nodeKeys, dataDir: h.paths.data, dbFile: h.paths.db, options });
      const { url, p2p } = await node.start();
      const adminFile = readdirSync(h.paths.keys).find((f) => f.endsWith('-admin.json'));
      const adminKey = adminFile ? join(o.home, 'keys', adminFile) : '<admin key file>';
      const orgId = adminFile ? adminFile.slice(0, -'-admin.json'.length) : (h.genesis.organisations[0]?.id ?? 'org');
      process.stdout.write(
        [
          `Salus node running: chain ${h.genesis.chainId}, height ${node.chain.lastHeight()}`,
          `  API        ${url}/v1/status`,
          `  OpenAPI    ${url}/docs`,
          `  Metrics    ${url}/metrics`,
          `  P2P        ${p2p ? `${node.nodeId}@${p2p}` : 'none (single validator)'}, consensus ${node.engineKind === 'solo' ? 'solo' : 'tendermint'}`,
          `  Home       ${o.home}`,
          `Try:`,
          `  curl ${url}/v1/status`,
          `  npx salus tx --node ${url} --key ${adminKey} --module identity --type add_member \\`,
          `     --payload '{"org":"${orgId}","signingKey":"<hex>","encryptionKey":"<hex>","role":"practitioner","name":"Dr Who"}'`,
          `Stop with Ctrl-C.`,
          '',
        ].join('\n'),
      );
      const shutdown = () => {
        void node.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      // A node that stopped on its own (its log said why): exit 74 when its storage failed, 70 otherwise.
      void node.failed.then(async (e) => {
        await node.stop();
        process.exit(isStorageFailure(e) ? EXIT_STORAGE : EXIT_FATAL);
      });
    });

  program
    .command('verify')
    .description('Re-check a whole chain from genesis in a home directory: hash links, roots, commits, replayed app hashes, every stored row')
    .argument('<home>', 'home directory of a node (may be running)')
    .action((home: string) => {
      const h = loadHome(home);
      const opts = mergeOptions(h.options);
      const report = verifyStorage(opts.storage, h.paths.db, { genesis: h.genesis, ed: createNativeEd25519(), chain: opts.chain, state: opts.state });
      print(report);
      if (!report.ok) process.exitCode = 1;
    });
}

/** `--state-sync <height>:<hash>`: the trusted header a new node's state sync starts from. */
function parseTrust(text: string): { trustHeight: number; trustHash: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text);
  if (!m) throw new SalusError('CONFIG', '--state-sync must be <height>:<64 lowercase hex header hash>, e.g. from GET /v1/blocks/<height> of a node you trust');
  return { trustHeight: Number(m[1]), trustHash: m[2]! };
}
