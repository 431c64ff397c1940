// The chain of the in-process benchmarks: its id, organisations and genesis.
import { toHex } from '@salus/core';
import type { Genesis } from '@salus/module';
import type { SignerKey } from './keys.js';

export const CHAIN_ID = 'salus-bench';

export const orgId = (i: number): string => `org-${String(i).padStart(2, '0')}`;

/** One hospital per admin key; the node's key the only validator. */
export function benchGenesis(admins: readonly SignerKey[], nodePub: Uint8Array, genesisTime = Date.now() - 60_000): Genesis {
  return {
    chainId: CHAIN_ID,
    genesisTime,
    organisations: admins.map((a, i) => ({
      id: orgId(i),
      name: `Bench Org ${i}`,
      kind: 'hospital',
      adminKey: toHex(a.publicKey),
      encryptionKey: toHex(new Uint8Array(32).fill(i + 1)),
    })),
    validators: [{ pubKey: toHex(nodePub), power: 10, org: orgId(0) }],
  };
}
