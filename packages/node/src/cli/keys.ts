import type { Command } from 'commander';
import { generateIdentityKeys, toHex } from '@salus/core';
import { readKeyFile, writeKeyFile } from '../config/keyfile.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Create and inspect identity key files (Ed25519 signing + X25519 encryption)');
  keys
    .command('new')
    .description('Create a new key pair file, readable only by you (mode 0600)')
    .requiredOption('-o, --out <file>', 'where to write the key file')
    .option('--force', 'overwrite an existing file', false)
    .action((o: { out: string; force: boolean }) => {
      const k = generateIdentityKeys();
      writeKeyFile(o.out, k, o.force);
      print({ file: o.out, signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) });
    });
  keys
    .command('show')
    .description('Print the public keys of a key file')
    .argument('<file>', 'key file')
    .action((file: string) => {
      const k = readKeyFile(file);
      print({ signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) });
    });
}

export function print(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
