import { readFileSync } from 'node:fs';
import { SalusError, fromHex, type Validator } from '@salus/core';
import { Wallet, parseItemReceipt, type ItemReceipt } from '@salus/client';

/** Reading the `salus anchors` commands' files, with typed errors. */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SalusError('NOT_FOUND', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SalusError('MALFORMED_ENCODING', `${what} ${file} is not JSON: ${(e as Error).message}`);
  }
}

export const wallet = (file: string): Wallet => Wallet.import(readJson(file, 'key file'));

/** One item's receipt from a file `salus anchors submit --out` wrote (a list: `index` picks one). */
export function readReceipt(file: string, index: number): ItemReceipt {
  const x = readJson(file, 'receipt file');
  const list = Array.isArray(x) ? x : [x];
  if (!Number.isSafeInteger(index) || index < 0 || index >= list.length) throw new SalusError('INVALID_FIELD', `the receipt file holds ${list.length} receipts; --index ${index} is not one of them`);
  return parseItemReceipt(list[index]);
}

/** The validators of a genesis file: the set a verifier trusts, in the chain's order (by public key, as the ledger hashes it). */
export function genesisValidators(file: string): Validator[] {
  const g = readJson(file, 'genesis file') as { validators?: { pubKey: string; power: number }[] };
  if (!Array.isArray(g.validators)) throw new SalusError('CONFIG', `${file} has no validators`);
  return [...g.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1)).map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
}

export const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
