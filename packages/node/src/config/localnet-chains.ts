import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SalusError, type Canonical } from '@salus/core';
import { channelsGenesisFor, CUSTODY_PORT } from '@salus/channels';
import { initLocalnet, localnetExists, localnetHome, type LocalnetNode } from './localnet.js';
import { homePaths } from './home.js';
import type { NodeOptionsInput } from './options.js';

/**
 * Several independent chains on one machine (`salus localnet --chains N`): chain `a`, `b`, … each a
 * local network of its own validators in `<dir>/chain-<x>`, with chain id `<chainId>-<x>`. Every
 * pair is joined by a custody channel fixed in both genesis files (ADR 0014): on chain x the channel
 * `custody-<y>` leads to chain y's `custody-<x>`, and each chain's light client of the other starts
 * from the other's genesis validators.
 */
export interface ChainsOptions {
  readonly dir: string;
  readonly chains: number;
  /** validators per chain */
  readonly validators: number;
  readonly chainId: string;
  readonly apiPortBase: number;
  readonly p2pPortBase: number;
  readonly config?: NodeOptionsInput;
}

export interface LocalChain {
  readonly letter: string;
  readonly chainId: string;
  readonly dir: string;
}

export const chainLetter = (i: number) => String.fromCharCode(97 + i);
export const custodyChannel = (toLetter: string) => `custody-${toLetter}`;

export function chainsExist(dir: string): boolean {
  return localnetExists(join(dir, 'chain-a'));
}

/** The chains of a multi-chain local network, in order. */
export function listChains(dir: string): LocalChain[] {
  return readdirSync(dir)
    .filter((f) => /^chain-[a-z]$/.test(f))
    .sort()
    .map((f) => {
      const g = JSON.parse(readFileSync(homePaths(localnetHome(join(dir, f), 0)).genesis, 'utf8')) as { chainId: string };
      return { letter: f.slice(6), chainId: g.chainId, dir: join(dir, f) };
    });
}

export function initChains(o: ChainsOptions): LocalnetNode[][] {
  if (!Number.isSafeInteger(o.chains) || o.chains < 2 || o.chains > 8) throw new SalusError('CONFIG', '--chains must be 2 to 8');
  if (chainsExist(o.dir)) throw new SalusError('CONFLICT', `${o.dir} already holds a multi-chain local network`);
  const made = Array.from({ length: o.chains }, (_, i) => {
    const letter = chainLetter(i);
    const nodes = initLocalnet({
      dir: join(o.dir, `chain-${letter}`),
      validators: o.validators,
      chainId: `${o.chainId}-${letter}`,
      apiPortBase: o.apiPortBase + i * o.validators,
      p2pPortBase: o.p2pPortBase + i * o.validators,
      ...(o.config ? { config: o.config } : {}),
    });
    const genesisFile = homePaths(nodes[0]!.home).genesis;
    const genesis = JSON.parse(readFileSync(genesisFile, 'utf8')) as { chainId: string; validators: { pubKey: string; power: number }[]; modules?: Record<string, Canonical> };
    return { letter, nodes, genesis };
  });
  // each genesis gets the light clients of and channels to all the others, before any node starts
  for (const c of made) {
    const others = made.filter((x) => x !== c);
    const section = channelsGenesisFor(others.map((x) => ({ chainId: x.genesis.chainId, validators: x.genesis.validators, channel: custodyChannel(x.letter), counterpartyChannel: custodyChannel(c.letter), port: CUSTODY_PORT })));
    const genesis = { ...c.genesis, modules: { ...c.genesis.modules, channels: section as unknown as Canonical } };
    for (const n of c.nodes) {
      const file = homePaths(n.home).genesis;
      if (!existsSync(file)) throw new SalusError('CONFIG', `${file} is missing`);
      writeFileSync(file, JSON.stringify(genesis, null, 2) + '\n');
    }
  }
  return made.map((c) => c.nodes);
}
