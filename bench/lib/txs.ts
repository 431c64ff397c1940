// The transactions the benchmarks submit: identity-module workloads, signed through OpenSSL.
import { randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { encodeTx, txSignBytes, type TxBody } from '@salus/core';
import { fail } from './cli.js';
import { CHAIN_ID, orgId } from './genesis.js';
import { freshKey, type SecretKeyPair } from './keys.js';

/**
 * Workloads of identity-module transactions:
 *  - register_patient: a fresh patient key registers itself (nonce 0, a new signer every time); ~276 bytes.
 *  - add_member: org admins (round robin) add practitioners; the smallest add_member is ~383 bytes
 *    (two hex keys in the payload), so it cannot be padded down to 250.
 */
export const WORKLOADS = ['register_patient', 'add_member'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const isWorkload = (w: string): w is Workload => (WORKLOADS as readonly string[]).includes(w);

function signedBytes(body: TxBody, keyObject: KeyObject): Uint8Array {
  const signature = new Uint8Array(nodeSign(null, txSignBytes(body), keyObject));
  return encodeTx({ ...body, signature });
}

/** Transaction i of a workload (deterministic in i for add_member's nonces; keys are random). */
export function makeTx(workload: string, i: number, admins: readonly SecretKeyPair[]): Uint8Array {
  if (workload === 'register_patient') {
    const k = freshKey();
    const body: TxBody = { chainId: CHAIN_ID, signer: k.publicKey, nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: randomBytes(32).toString('hex') } };
    return signedBytes(body, k.keyObject);
  }
  if (workload === 'add_member') {
    const a = i % admins.length;
    const admin = admins[a]!;
    const body: TxBody = {
      chainId: CHAIN_ID,
      signer: admin.publicKey,
      nonce: Math.floor(i / admins.length),
      module: 'identity',
      type: 'add_member',
      payload: {
        org: orgId(a),
        signingKey: randomBytes(32).toString('hex'),
        encryptionKey: randomBytes(32).toString('hex'),
        role: 'practitioner',
        name: `Dr ${String(i).padStart(7, '0')}`,
      },
    };
    return signedBytes(body, admin.keyObject);
  }
  fail(`unknown workload ${workload}; known: ${WORKLOADS.join(', ')}`);
}

export function makeTxs(workload: string, from: number, to: number, admins: readonly SecretKeyPair[]): Uint8Array[] {
  const out = new Array<Uint8Array>(to - from);
  for (let i = from; i < to; i++) out[i - from] = makeTx(workload, i, admins);
  return out;
}
