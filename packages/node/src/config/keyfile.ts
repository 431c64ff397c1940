import { chmodSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { SalusError, fromHex, generateIdentityKeys, toHex, type IdentityKeys } from '@salus/core';

/** A key file: JSON with hex keys, written with mode 0600 and refused if others can read it. */
export interface KeyFileJson {
  readonly type: 'salus-identity-keys';
  readonly signing: { readonly publicKey: string; readonly secretKey: string };
  readonly encryption: { readonly publicKey: string; readonly secretKey: string };
}

export function keysToJson(k: IdentityKeys): KeyFileJson {
  return {
    type: 'salus-identity-keys',
    signing: { publicKey: toHex(k.signing.publicKey), secretKey: toHex(k.signing.secretKey) },
    encryption: { publicKey: toHex(k.encryption.publicKey), secretKey: toHex(k.encryption.secretKey) },
  };
}

export function keysFromJson(j: unknown): IdentityKeys {
  const o = j as KeyFileJson;
  if (o?.type !== 'salus-identity-keys') throw new SalusError('CONFIG', 'not a Salus key file');
  const keys = generateIdentityKeys({ signing: fromHex(o.signing.secretKey, 32), encryption: fromHex(o.encryption.secretKey, 32) });
  if (toHex(keys.signing.publicKey) !== o.signing.publicKey || toHex(keys.encryption.publicKey) !== o.encryption.publicKey) {
    throw new SalusError('CONFIG', 'key file public keys do not match its secret keys');
  }
  return keys;
}

export function writeKeyFile(path: string, keys: IdentityKeys, overwrite = false): void {
  if (!overwrite && existsSync(path)) throw new SalusError('CONFLICT', `${path} already exists; refusing to overwrite a key`);
  writeFileSync(path, JSON.stringify(keysToJson(keys), null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function readKeyFile(path: string): IdentityKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SalusError('CONFIG', `cannot read key file ${path}`);
  }
  try {
    return keysFromJson(JSON.parse(text));
  } catch (e) {
    if (e instanceof SalusError) throw e;
    throw new SalusError('CONFIG', `key file ${path} is not valid JSON`);
  }
}
