import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SalusError } from '@salus/core';
import { PrivateContractsClient, SalusClient } from '@salus/client';
import { json, print, readJsonFile, wallet } from '../module/cli-input.js';

/**
 * `salus contract private-call | private-query | private-prove | report`: private contracts from the
 * command line. A private call goes to a node of each party organisation, named by `--party
 * org=url` (repeatable) or a parties file (`{ "hospital-1": "http://…", … }`; the local network
 * writes one as parties.json).
 */
function parties(o: { party?: string[]; parties?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.parties) {
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(o.parties, 'utf8'));
    } catch (e) {
      throw new SalusError('CONFIG', `cannot read the parties file ${o.parties}: ${(e as Error).message}`);
    }
    for (const [org, url] of Object.entries(file as Record<string, unknown>)) if (typeof url === 'string') out[org] = url;
  }
  for (const p of o.party ?? []) {
    const at = p.indexOf('=');
    if (at < 1) throw new SalusError('CONFIG', `--party takes org=url, not ${p}`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  if (Object.keys(out).length === 0) throw new SalusError('CONFIG', 'name a node of each party: --party org=url (repeatable) or --parties <file>');
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerPrivateCli(c: Command, defaultNode: string): void {
  const common = (cmd: Command) =>
    cmd
      .option('--node <url>', 'node API that submits the transaction and answers public reads', defaultNode)
      .requiredOption('--key <file>', 'your signing key file')
      .option('--party <org=url>', 'a node of a party organisation (repeatable)', collect)
      .option('--parties <file>', 'JSON file mapping party organisations to node URLs');
  type Opts = { node: string; key: string; party?: string[]; parties?: string };
  const client = (o: Opts) => new PrivateContractsClient(new SalusClient({ url: o.node }), wallet(o.key), parties(o));

  common(c.command('private-call <name> <method>'))
    .description("run a private contract's method on its parties' nodes, collect their signed results and commit them")
    .option('--args <json>', 'arguments (JSON; only the parties see them)')
    .option('--gas <n>', 'gas limit', '5000000')
    .action(async (name: string, method: string, o: Opts & { args?: string; gas: string }) => {
      const r = await client(o).call(name, method, json(o.args, '--args'), { gas: Number(o.gas) });
      print({ value: r.value, input: r.result.input, root: r.result.after, height: r.receipt.height, tx: r.receipt.hash });
    });

  common(c.command('private-query <name> <method>'))
    .description("run a query method on a party's private state (you must be a member of a party)")
    .option('--args <json>', 'arguments (JSON)')
    .option('--org <id>', 'the party whose node answers (default: the first configured)')
    .action(async (name: string, method: string, o: Opts & { args?: string; org?: string }) => print(await client(o).query(name, method, json(o.args, '--args'), o.org)));

  common(c.command('private-prove <name> <key>'))
    .description("a private value with its proof against the contract's root on the ledger, verified here; the JSON it prints is what another party checks")
    .option('--org <id>', 'the party whose node answers (default: the first configured)')
    .action(async (name: string, key: string, o: Opts & { org?: string }) => print(await client(o).prove(name, key, o.org)));

  c.command('report <a> <b>')
    .description('submit evidence: two files, each {result, endorsement}, signed by one key for the same input and state with different results')
    .option('--node <url>', 'node API', defaultNode)
    .requiredOption('--key <file>', 'your signing key file')
    .action(async (a: string, b: string, o: { node: string; key: string }) => {
      const read = (f: string) => readJsonFile(f, 'result file');
      const r = await new SalusClient({ url: o.node }).send(wallet(o.key), 'contracts', 'report', { a: read(a), b: read(b) });
      print({ height: r.height, events: r.result.events });
    });
}
