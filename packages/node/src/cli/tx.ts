import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { SalusError, type Canonical } from '@salus/core';
import { SalusClient, Wallet } from '@salus/client';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { createNativeKeyWrap } from '../crypto/native-hpke.js';
import { print } from './keys.js';

export const DEFAULT_NODE = 'http://127.0.0.1:26657';

/** Reads a key file (as written by `salus keys new`) into a wallet signing with the native Ed25519. */
export function loadWallet(file: string): Wallet {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new SalusError('CONFIG', `cannot read key file ${file}`);
  }
  return Wallet.import(json, createNativeEd25519(), createNativeKeyWrap());
}

function parsePayload(text: string): Canonical {
  try {
    return JSON.parse(text) as Canonical;
  } catch {
    throw new SalusError('MALFORMED_ENCODING', '--payload is not valid JSON');
  }
}

export function registerTx(program: Command): void {
  const tx = program
    .command('tx')
    .description('Build, sign and submit a transaction, waiting for its commit; or show one (see "tx show")')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--key <file>', 'key file of the signer')
    .option('--module <name>', 'module, e.g. identity')
    .option('--type <name>', 'transaction type, e.g. add_member')
    .option('--payload <json>', 'payload as JSON', '{}')
    .option('--nonce <n>', 'nonce (default: asked from the node)')
    .option('--no-wait', 'return once admitted to the mempool')
    .action(async (o: { node: string; key?: string; module?: string; type?: string; payload: string; nonce?: string; wait: boolean }) => {
      if (!o.key || !o.module || !o.type) throw new SalusError('CONFIG', 'tx needs --key, --module and --type (or use "tx show <hash>")');
      const wallet = loadWallet(o.key);
      const client = new SalusClient({ url: o.node });
      const chainId = (await client.status()).chainId;
      const nonce = o.nonce !== undefined ? Number(o.nonce) : await client.nextNonce(wallet.publicKeyHex);
      const { bytes } = wallet.buildTx({ chainId, nonce, module: o.module, type: o.type, payload: parsePayload(o.payload) });
      const r = await client.submit(bytes, o.wait ? 'commit' : 'none');
      print(r);
      if ('result' in r && r.result.code !== 'OK') process.exitCode = 1;
    });

  tx.command('show')
    .description('Show a committed transaction, verifying its inclusion proof and its block commit')
    .argument('<hash>', 'transaction hash (hex)')
    .option('--node <url>', `node API (default: "${DEFAULT_NODE}")`)
    .action(async (hash: string, o: { node?: string }, cmd: Command) => {
      // `tx` has a --node of its own, which takes the option wherever it is written
      const url = o.node ?? (cmd.parent?.opts() as { node?: string } | undefined)?.node ?? DEFAULT_NODE;
      const client = new SalusClient({ url, ed: createNativeEd25519() });
      const r = await client.verifiedTx(hash);
      print({ ...r, verified: true });
    });

  program
    .command('block')
    .description('Blocks')
    .command('show')
    .description('Show a block by height (or "latest") with its header and commit')
    .argument('<height>', 'height or "latest"')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (height: string, o: { node: string }) => {
      const client = new SalusClient({ url: o.node });
      print(await client.getBlock(height === 'latest' ? 'latest' : Number(height)));
    });
}
