import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SalusError } from '@salus/core';
import { SalusClient, Wallet } from '@salus/client';
import { ChainApi, Relayer, SYSTEM_CLOCK, type ItemRecord } from '@salus/channels';
import { type ChainsOptions, chainsExist, custodyChannel, initChains, listChains, type LocalChain } from '../config/localnet-chains.js';
import { localnetHome } from '../config/localnet.js';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { createNativeKeyWrap } from '../crypto/native-hpke.js';

/**
 * `salus localnet --chains N`: N independent chains, each a local network of its own validators,
 * joined pairwise by custody channels fixed in their genesis files; a relayer between every pair
 * runs in this process, and on first start the demo sends one item each way between chains a and b.
 */
export type ChainsRun = Omit<ChainsOptions, 'config'>;

/** A started node process with the addresses it printed (localnet's). */
export interface Running {
  readonly index: number;
  readonly home: string;
  readonly child: ChildProcess;
  url?: string;
  p2p?: string;
}
export type StartNode = (index: number, home: string) => Promise<Running>;

interface RunningChain extends LocalChain {
  readonly nodes: Running[];
}

const adminKeyFile = (chainDir: string): string => {
  const home = localnetHome(chainDir, 0);
  const f = readdirSync(join(home, 'keys')).find((x) => x.endsWith('-admin.json'));
  if (!f) throw new SalusError('CONFIG', `${home} holds no organisation admin key`);
  return join(home, 'keys', f);
};

export async function runChains(o: ChainsRun, startNode: StartNode): Promise<void> {
  if (!chainsExist(o.dir)) initChains(o);
  const chains: RunningChain[] = [];
  for (const c of listChains(o.dir)) {
    const homes = readdirSync(c.dir).filter((f) => /^node\d+$/.test(f)).map((f) => Number(f.slice(4))).sort((x, y) => x - y);
    chains.push({ ...c, nodes: await Promise.all(homes.map((i) => startNode(i, localnetHome(c.dir, i)))) });
  }
  let stopping = false;
  const relaying = new AbortController();
  const all = chains.flatMap((c) => c.nodes);
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    relaying.abort();
    let left = all.length;
    for (const n of all) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) {
        if (--left === 0) process.exit(0);
        continue;
      }
      n.child.once('exit', () => void (--left === 0 && process.exit(0)));
      n.child.kill('SIGTERM');
    }
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const ed = createNativeEd25519();
  const kw = createNativeKeyWrap();
  const api = (c: RunningChain) => new ChainApi(new SalusClient({ url: c.nodes[0]!.url!, ed }), Wallet.create(ed, kw), SYSTEM_CLOCK);
  process.stdout.write(
    [
      `Salus local network: ${chains.length} chains, ${o.validators} validators each, joined by custody channels`,
      ...chains.flatMap((c) => [
        `  chain ${c.letter} (${c.chainId})  admin key ${adminKeyFile(c.dir)}`,
        ...c.nodes.map((n) => `    node ${n.index}  API ${n.url}  p2p ${n.p2p}  home ${n.home}`),
        ...chains.filter((x) => x !== c).map((x) => `    channel ${custodyChannel(x.letter)} → chain ${x.letter}`),
      ]),
      `A relayer between every pair of chains runs in this process (standalone: npx salus channels relay --from <api> --to <api>).`,
      '',
    ].join('\n'),
  );
  for (const [i, x] of chains.entries()) {
    for (const y of chains.slice(i + 1)) {
      const r = new Relayer(api(x), api(y), (line) => process.stdout.write(`relayer ${x.letter}↔${y.letter}: ${line}\n`));
      void r.run(500, SYSTEM_CLOCK.sleep, relaying.signal);
    }
  }
  await demoTransfers(o.dir, chains[0]!, chains[1]!, ed, kw);
}

/** Waits until `item` is held on the chain behind `url` (checked against the node's proof answer). */
async function heldOn(url: string, item: string, timeoutMs: number): Promise<ItemRecord> {
  const client = new SalusClient({ url });
  const end = SYSTEM_CLOCK.now() + timeoutMs;
  for (;;) {
    const r = await client.request<Parameters<SalusClient['verifyState']>[0]>('GET', `/v1/channels/items/${item}`).catch(() => undefined);
    if (r && r.decoded && (r.decoded as ItemRecord).status === 'held') {
      client.verifyState(r);
      return r.decoded as ItemRecord;
    }
    if (SYSTEM_CLOCK.now() > end) throw new SalusError('TIMEOUT', `item ${item} did not arrive on ${url} within ${timeoutMs} ms`);
    await SYSTEM_CLOCK.sleep(250);
  }
}

/** On first start: an item registered on a goes to b, one registered on b goes to a; on every start, the commands to try. */
async function demoTransfers(dir: string, a: RunningChain, b: RunningChain, ed: ReturnType<typeof createNativeEd25519>, kw: ReturnType<typeof createNativeKeyWrap>): Promise<void> {
  const file = join(dir, 'demo', 'transfers.json');
  const urlA = a.nodes[0]!.url!;
  const urlB = b.nodes[0]!.url!;
  const keyA = adminKeyFile(a.dir);
  const keyB = adminKeyFile(b.dir);
  const wa = Wallet.import(JSON.parse(readFileSync(keyA, 'utf8')), ed, kw);
  const wb = Wallet.import(JSON.parse(readFileSync(keyB, 'utf8')), ed, kw);
  const items = { toB: 'sgtin:0614141.107346.1001', toA: 'record-set:consortium-b.0001' };
  if (!existsSync(file)) {
    process.stdout.write(`Demo: ${items.toB} goes from chain ${a.letter} to chain ${b.letter}, ${items.toA} from chain ${b.letter} to chain ${a.letter}…\n`);
    const started = SYSTEM_CLOCK.now();
    const ca = new SalusClient({ url: urlA, ed });
    const cb = new SalusClient({ url: urlB, ed });
    await ca.send(wa, 'channels', 'register_item', { item: items.toB });
    await cb.send(wb, 'channels', 'register_item', { item: items.toA });
    await ca.send(wa, 'channels', 'send_item', { item: items.toB, channel: custodyChannel(b.letter), receiver: wb.publicKeyHex, timeoutHeight: (await cb.status()).height + 300 });
    await cb.send(wb, 'channels', 'send_item', { item: items.toA, channel: custodyChannel(a.letter), receiver: wa.publicKeyHex, timeoutHeight: (await ca.status()).height + 300 });
    await Promise.all([heldOn(urlB, items.toB, 120_000), heldOn(urlA, items.toA, 120_000)]);
    mkdirSync(join(dir, 'demo'), { recursive: true });
    writeFileSync(file, JSON.stringify({ items, at: new Date().toISOString() }, null, 2) + '\n');
    process.stdout.write(`Demo transfers done in ${Math.round((SYSTEM_CLOCK.now() - started) / 1000)} s, each received with a proof and acknowledged.\n`);
  }
  process.stdout.write(
    [
      `Try (custody of items between chains; the relayer carries, each chain verifies):`,
      `  npx salus channels item ${items.toB} --node ${urlB} --genesis ${join(b.dir, 'node0', 'genesis.json')}   # held on chain ${b.letter}, proven`,
      `  npx salus channels item ${items.toB} --node ${urlA}                # away from chain ${a.letter}`,
      `  npx salus channels send-item ${items.toB} --channel ${custodyChannel(a.letter)} --receiver ${wa.publicKeyHex} --key ${keyB} --node ${urlB} --dest-node ${urlA}   # send it back`,
      `  npx salus channels status --node ${urlA}`,
      `Stop with Ctrl-C; run again to resume the same chains.`,
      '',
    ].join('\n'),
  );
}
