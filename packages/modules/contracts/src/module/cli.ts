import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ContractsClient, SalusClient } from '@salus/client';
import { json, print, readJsonFile, wallet } from './cli-input.js';
import { bundleContract } from '../bundle/bundle.js';
import { registerPrivateCli } from '../private/cli.js';

/** `salus contract …`: build, deploy, instantiate, call, query, follow events, upgrade, freeze, approve. */
const DEFAULT_NODE = 'http://127.0.0.1:26657';

function clients(o: { node: string; key?: string }): ContractsClient {
  return new ContractsClient(new SalusClient({ url: o.node }), o.key ? wallet(o.key) : undefined);
}

/** TypeScript or JavaScript source is bundled here; a `.js` file that is already a bundle is sent as it is. */
async function codeOf(file: string, bundled: boolean): Promise<string> {
  if (bundled) return readFileSync(file, 'utf8');
  return (await bundleContract({ entry: file })).code;
}

export function registerContractCli(program: Command): void {
  const c = program.command('contract').description('smart contracts: build, deploy, instantiate, call, query, events, upgrade');
  const node = (cmd: Command) => cmd.option('--node <url>', 'node API', DEFAULT_NODE);
  const signed = (cmd: Command) => node(cmd).requiredOption('--key <file>', 'signing key file (salus keys new)');

  c.command('build <entry>')
    .description('bundle a contract (TypeScript) to one checked ES module; prints its code hash and exported methods')
    .action(async (entry: string) => {
      const b = await bundleContract({ entry });
      print({ codeHash: b.codeHash, size: b.code.length, methods: b.methods });
    });

  signed(c.command('deploy <entry>'))
    .description('bundle (unless --bundled) and store the code on the ledger; prints its code hash')
    .option('--bundled', 'the file is already a bundle')
    .action(async (entry: string, o: { node: string; key: string; bundled?: boolean }) => {
      const code = await codeOf(entry, o.bundled === true);
      const { codeHash, receipt } = await clients(o).deploy(code);
      print({ codeHash, height: receipt?.height ?? null, alreadyDeployed: receipt === null });
    });

  signed(c.command('instantiate <name>'))
    .description('create a named instance of deployed code with a manifest')
    .requiredOption('--code <hash>', 'code hash (from deploy)')
    .requiredOption('--manifest <file>', 'manifest JSON file')
    .option('--args <json>', "arguments of the code's init")
    .action(async (name: string, o: { node: string; key: string; code: string; manifest: string; args?: string }) => {
      const r = await clients(o).instantiate(name, o.code, readJsonFile(o.manifest, 'manifest'), json(o.args, '--args'));
      print({ contract: name, height: r.height, events: r.result.events });
    });

  signed(c.command('call <name> <method>'))
    .description('call a method in a transaction; prints its result and the gas used')
    .option('--args <json>', 'arguments (JSON)')
    .option('--gas <n>', 'gas limit', '1000000')
    .action(async (name: string, method: string, o: { node: string; key: string; args?: string; gas: string }) => {
      const r = await clients(o).call(name, method, json(o.args, '--args'), { gas: Number(o.gas) });
      print({ value: r.value, gasUsed: r.gasUsed, height: r.receipt.height, tx: r.receipt.hash });
    });

  node(c.command('query <name> <method>'))
    .description('run a query method read-only (no transaction); --prove verifies every state entry it read against a commit')
    .option('--args <json>', 'arguments (JSON)')
    .option('--prove', 'return and verify proofs of what the query read')
    .action(async (name: string, method: string, o: { node: string; args?: string; prove?: boolean }) => {
      const r = await clients(o).query(name, method, json(o.args, '--args'), { prove: o.prove === true });
      print({ value: r.value, gasUsed: r.gasUsed, height: r.height, ...(r.reads ? { provenReads: r.reads.map((x) => x.key) } : {}) });
    });

  node(c.command('show <name>'))
    .description('the instance: code hash, manifest, status, version history')
    .action(async (name: string, o: { node: string }) => print(await clients(o).info(name)));

  node(c.command('events <name>'))
    .description("the contract's events from a height on; --follow keeps printing new ones")
    .option('--from <height>', 'first height', '1')
    .option('--follow', 'keep following new blocks (Ctrl-C stops)')
    .action(async (name: string, o: { node: string; from: string; follow?: boolean }) => {
      const cc = clients(o);
      if (!o.follow) return print(await cc.events(name, { from: Number(o.from) }));
      await new Promise<void>((_resolve, reject) => {
        cc.watch(name, (e) => process.stdout.write(`${JSON.stringify(e)}\n`), { from: Number(o.from), onError: reject });
      });
    });

  signed(c.command('upgrade <name>'))
    .description('move an instance to new code and manifest (at once for its owner; a proposal under the orgs policy)')
    .requiredOption('--code <hash>', 'new code hash (deploy it first)')
    .requiredOption('--manifest <file>', 'new manifest JSON file')
    .action(async (name: string, o: { node: string; key: string; code: string; manifest: string }) => {
      const r = await clients(o).upgrade(name, o.code, readJsonFile(o.manifest, 'manifest'));
      print({ contract: name, height: r.height, events: r.result.events });
    });

  signed(c.command('freeze <name>'))
    .description('stop all further calls (at once for its owner; a proposal under the orgs policy)')
    .action(async (name: string, o: { node: string; key: string }) => {
      const r = await clients(o).freeze(name);
      print({ contract: name, height: r.height, events: r.result.events });
    });

  signed(c.command('approve <proposal>'))
    .description("approve a contract proposal as your organisation's admin")
    .action(async (proposal: string, o: { node: string; key: string }) => {
      const r = await clients(o).approve(proposal);
      print({ proposal, height: r.height, events: r.result.events });
    });

  registerPrivateCli(c, DEFAULT_NODE);
}
