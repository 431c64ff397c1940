import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { SalusError, fromHex } from '@salus/core';
import type { Wallet } from '@salus/client';
import { DEFAULT_NODE, loadWallet } from './tx.js';
import { print } from './keys.js';

/**
 * `salus fhir token`: the SMART Backend Services client side, for trying the FHIR facade with curl:
 * signs a private_key_jwt assertion with a registered service (or practitioner) key and trades it
 * at the node's token endpoint for a bearer token.
 */
export function fhirToken(node: string, keyFile: string, scope: string): Promise<{ access_token: string; expires_in: number; scope: string }> {
  return fhirTokenFor(node, loadWallet(keyFile), scope);
}

/** The same for a wallet in hand (tests, benchmarks, scripts). */
export async function fhirTokenFor(node: string, wallet: Wallet, scope: string): Promise<{ access_token: string; expires_in: number; scope: string }> {
  const keys = wallet.export();
  const b64 = (hex: string) => Buffer.from(fromHex(hex, 32)).toString('base64url');
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: b64(keys.signing.publicKey), d: b64(keys.signing.secretKey) }, 'EdDSA');
  const tokenUrl = `${node.replace(/\/+$/, '')}/fhir/R4/auth/token`;
  const id = wallet.publicKeyHex;
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(id).setSubject(id).setAudience(tokenUrl).setIssuedAt().setExpirationTime('4m').setJti(randomUUID()).sign(key);
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope });
  const res = await fetch(tokenUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const answer = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
  if (!res.ok || !answer.access_token) {
    throw new SalusError(res.status === 401 ? 'BAD_SIGNATURE' : res.status === 404 ? 'NOT_FOUND' : 'INVALID_FIELD', `token endpoint: ${answer.error ?? res.status} ${answer.error_description ?? ''}`.trim());
  }
  return { access_token: answer.access_token, expires_in: answer.expires_in ?? 0, scope: answer.scope ?? '' };
}

export function registerFhir(program: Command): void {
  const fhir = program.command('fhir').description("The node's FHIR R4 facade (served by nodes that hold their organisation's key)");
  fhir
    .command('token')
    .description('Get a bearer token the SMART Backend Services way (private_key_jwt signed by a registered service key)')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--key <file>', 'key file of a service (or practitioner) key registered by the organisation')
    .option('--scope <scopes>', 'SMART scopes', 'system/*.rs')
    .option('--raw', 'print only the token (for $(...) in a shell)')
    .action(async (o: { node: string; key?: string; scope: string; raw?: boolean }) => {
      if (!o.key) throw new SalusError('CONFIG', 'fhir token needs --key');
      const t = await fhirToken(o.node, o.key, o.scope);
      if (o.raw) process.stdout.write(`${t.access_token}\n`);
      else print(t);
    });
}
