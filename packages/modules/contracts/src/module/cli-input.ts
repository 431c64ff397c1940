import { readFileSync } from 'node:fs';
import { SalusError, type Canonical } from '@salus/core';
import { Wallet } from '@salus/client';

/** Reading the `salus contract` commands' inputs: JSON arguments, JSON files and key files, with typed errors. */
export function json(text: string | undefined, what: string): Canonical {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as Canonical;
  } catch (e) {
    throw new SalusError('MALFORMED_ENCODING', `${what} is not JSON: ${(e as Error).message}`);
  }
}

export function readJsonFile(file: string, what: string): Canonical {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SalusError('NOT_FOUND', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  return json(text, `${what} ${file}`);
}

export function wallet(file: string): Wallet {
  return Wallet.import(readJsonFile(file, 'key file') as never);
}

export const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
