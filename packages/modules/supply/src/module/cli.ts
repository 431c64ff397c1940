import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SalusError } from '@salus/core';
import { SalusClient, SupplyClient, Wallet } from '@salus/client';

/** `salus supply capture | events | verify | trace | recall`: drug traceability from the command line. */
const DEFAULT_NODE = 'http://127.0.0.1:26657';
const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new SalusError('NOT_FOUND', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

const client = (o: { node: string; key?: string }) => new SupplyClient(new SalusClient({ url: o.node }), o.key ? Wallet.import(JSON.parse(read(o.key, 'key file'))) : undefined);

export function registerSupplyCli(program: Command): void {
  const c = program.command('supply').description('drug traceability: EPCIS 2.0 capture and query, verification at dispensing, recalls, a pack\'s trace');

  c.command('capture <document>')
    .description('capture an EPCISDocument (JSON-LD file) for your organisation; prints the capture job')
    .requiredOption('--key <file>', "your signing key file (a member of the capturing organisation)")
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (file: string, o: { key: string; node: string }) => {
      const job = await client(o).capture(read(file, 'EPCIS document'));
      print(job);
      if (!job.success) process.exitCode = 1;
    });

  c.command('events')
    .description('EPCIS events query: prints an EPCISQueryDocument')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--biz-step <step>', 'EQ_bizStep')
    .option('--epc <epc>', 'MATCH_epc')
    .option('--from <time>', 'GE_eventTime')
    .option('--to <time>', 'LT_eventTime')
    .option('--per-page <n>', 'perPage')
    .option('--page <token>', 'nextPageToken')
    .action(async (o: { node: string; bizStep?: string; epc?: string; from?: string; to?: string; perPage?: string; page?: string }) => {
      print(await client(o).events({ ...(o.bizStep ? { EQ_bizStep: o.bizStep } : {}), ...(o.epc ? { MATCH_epc: o.epc } : {}), ...(o.from ? { GE_eventTime: o.from } : {}), ...(o.to ? { LT_eventTime: o.to } : {}), ...(o.perPage ? { perPage: Number(o.perPage) } : {}), ...(o.page ? { nextPageToken: o.page } : {}) }));
    });

  c.command('verify')
    .description('verify a pack before dispensing: valid, or invalid with the reason and what to do (exit code 2 when invalid)')
    .requiredOption('--gtin <gtin>', 'GTIN (AI 01)')
    .requiredOption('--serial <serial>', 'serial number (AI 21)')
    .option('--lot <lot>', 'lot (AI 10)')
    .option('--expiry <date>', 'expiry (AI 17, YYMMDD)')
    .option('--org <org>', 'your pharmacy organisation: checks the pack was shipped to you')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (o: { node: string; gtin: string; serial: string; lot?: string; expiry?: string; org?: string }) => {
      const r = await client(o).verify({ gtin: o.gtin, serial: o.serial, ...(o.lot ? { lot: o.lot } : {}), ...(o.expiry ? { expiry: o.expiry } : {}), ...(o.org ? { org: o.org } : {}) });
      print(r);
      if (!r.valid) process.exitCode = 2;
    });

  c.command('trace <sgtin>')
    .description("a pack's history (EPC URN or Digital Link), every state proof checked")
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (epc: string, o: { node: string }) => {
      const t = await client(o).trace(epc);
      print({ epc: t.epc, verified: true, pack: t.pack.decoded, events: t.events.map((e) => e.event) });
    });

  c.command('recall')
    .description('recall a lot of your GTIN (manufacturer)')
    .requiredOption('--key <file>', "your signing key file (a member of the GTIN's manufacturer)")
    .requiredOption('--gtin <gtin>', 'GTIN')
    .requiredOption('--lot <lot>', 'lot')
    .requiredOption('--reason <text>', 'why')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (o: { key: string; node: string; gtin: string; lot: string; reason: string }) => {
      const r = await client(o).recall(o.gtin, o.lot, o.reason);
      print({ recalled: true, gtin: o.gtin, lot: o.lot, height: r.height });
    });
}
