import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SalusError, fromHex, type Validator } from '@salus/core';
import { SalusClient, Wallet } from '@salus/client';
import { ChainApi } from '../relayer/chain-api.js';
import { Relayer } from '../relayer/relayer.js';

/**
 * `salus channels relay | status | register-item | send-item | item`: the relayer between two
 * chains' APIs, and the custody transfer from the command line.
 */
const DEFAULT_NODE = 'http://127.0.0.1:26657';
const print = (x: unknown): void => void process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const SYSTEM_CLOCK = { now: () => Date.now(), sleep };

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SalusError('NOT_FOUND', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

const wallet = (file?: string): Wallet => (file ? Wallet.import(readJson(file, 'key file')) : Wallet.create());

function genesisValidators(file: string): Validator[] {
  const g = readJson(file, 'genesis file') as { validators?: { pubKey: string; power: number }[] };
  if (!Array.isArray(g.validators)) throw new SalusError('CONFIG', `${file} has no validators`);
  return [...g.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1)).map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
}

export function registerChannelsCli(program: Command): void {
  const c = program.command('channels').description('channels between chains: the relayer, and custody of items moving between chains');

  c.command('relay')
    .description("relay packets, acknowledgements and timeouts between two chains' nodes, both ways, proving each on the other chain (an untrusted relayer: any key)")
    .requiredOption('--from <api>', "one chain's node API")
    .requiredOption('--to <api>', "the other chain's node API")
    .option('--key-from <file>', 'key file to sign on the --from chain (default: a fresh key; relaying needs no registration)')
    .option('--key-to <file>', 'key file to sign on the --to chain (default: a fresh key)')
    .option('--interval <ms>', 'wait between rounds', '1000')
    .option('--once', 'one round, then print what it did')
    .action(async (o: { from: string; to: string; keyFrom?: string; keyTo?: string; interval: string; once?: boolean }) => {
      const a = new ChainApi(new SalusClient({ url: o.from }), wallet(o.keyFrom), SYSTEM_CLOCK);
      const b = new ChainApi(new SalusClient({ url: o.to }), wallet(o.keyTo), SYSTEM_CLOCK);
      const relayer = new Relayer(a, b, (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
      if (o.once) return print(await relayer.step());
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      process.stdout.write(`relaying between ${o.from} and ${o.to} every ${o.interval} ms\n`);
      await relayer.run(Number(o.interval), sleep, stop.signal);
    });

  c.command('status')
    .description("a chain's channel ends and its light clients of the counterparty chains")
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (o: { node: string }) => print(await new SalusClient({ url: o.node }).request('GET', '/v1/channels')));

  c.command('register-item <item>')
    .description('register a new item (an opaque id, e.g. a pack serial) held by your key on this chain')
    .requiredOption('--key <file>', 'your key file (a registered identity)')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (item: string, o: { key: string; node: string }) => {
      const r = await new SalusClient({ url: o.node }).send(wallet(o.key), 'channels', 'register_item', { item });
      print({ item, height: r.height, tx: r.hash });
    });

  c.command('send-item <item>')
    .description('send an item you hold over a custody channel to a key on the other chain; escrowed here until the relayer brings its acknowledgement')
    .requiredOption('--key <file>', 'your key file (the holder)')
    .requiredOption('--channel <id>', 'the channel to send it on')
    .requiredOption('--receiver <hex>', "the receiving key on the other chain (hex public key)")
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--dest-node <url>', "the other chain's node API, to set the timeout from its height")
    .option('--timeout-blocks <n>', "blocks of the other chain the packet may take to be received", '300')
    .option('--timeout-height <h>', "the other chain's height from which the packet can no longer be received (instead of --dest-node)")
    .action(async (item: string, o: { key: string; channel: string; receiver: string; node: string; destNode?: string; timeoutBlocks: string; timeoutHeight?: string }) => {
      let timeoutHeight = o.timeoutHeight === undefined ? undefined : Number(o.timeoutHeight);
      if (timeoutHeight === undefined) {
        if (!o.destNode) throw new SalusError('INVALID_FIELD', 'give --dest-node (the other chain) or --timeout-height');
        timeoutHeight = (await new SalusClient({ url: o.destNode }).status()).height + Number(o.timeoutBlocks);
      }
      const r = await new SalusClient({ url: o.node }).send(wallet(o.key), 'channels', 'send_item', { item, channel: o.channel, receiver: o.receiver.toLowerCase(), timeoutHeight });
      const sent = r.result.events.find((e) => e.type === 'custody.sent');
      print({ item, channel: o.channel, sequence: sent?.attributes.sequence, timeoutHeight, height: r.height, tx: r.hash });
    });

  c.command('item <item>')
    .description("an item's custody record on a chain, verified against a committed header (with --genesis: against that chain's genesis validators)")
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--genesis <file>', 'the chain\'s genesis file, whose validators the proof is checked against')
    .action(async (item: string, o: { node: string; genesis?: string }) => {
      const client = new SalusClient({ url: o.node, ...(o.genesis ? { trustedValidators: genesisValidators(o.genesis) } : {}) });
      const r = await client.request<Parameters<SalusClient['verifyState']>[0]>('GET', `/v1/channels/items/${encodeURIComponent(item)}`);
      client.verifyState(r);
      print({ verified: true, height: r.version + 1, item, record: r.decoded });
    });
}
