#!/usr/bin/env node
import { Command } from 'commander';
import { SalusError } from '@salus/core';
import { registerKeys } from './keys.js';
import { registerChain } from './chain.js';
import { registerTx } from './tx.js';
import { registerLocalnet } from './localnet.js';
import { registerRecords } from './records.js';
import { registerFhir } from './fhir.js';
import { MODULES } from '../app/modules.js';
import { installNativeSha256 } from '../crypto/native-sha256.js';

installNativeSha256();

/** The salus command line. Every command has --help; errors print their code and exit 1. */
const program = new Command()
  .name('salus')
  .description('Salus: a permissioned BFT blockchain for health data')
  .version('0.1.0')
  .showHelpAfterError();

registerKeys(program);
registerChain(program);
registerTx(program);
registerLocalnet(program);
registerRecords(program);
registerFhir(program);
// each installed module's own subcommands
for (const m of MODULES) m.cli?.(program);


program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof SalusError) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${(e as Error).message}\n`);
  }
  process.exit(1);
});
