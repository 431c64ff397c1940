import type { Logger } from 'pino';
import { type Ed25519, type IdentityKeys, encodeTx, signTx, toHex } from '@salus/core';
import { type ConsensusEvidence, encodeEvidence, offenceOf } from '@salus/consensus';

export interface EvidenceSubmitDeps {
  readonly chainId: string;
  readonly nodeKeys: IdentityKeys;
  readonly ed: Ed25519;
  readonly log: Logger;
  /** the next nonce of this node's key, pending transactions included */
  pendingNonce(signer: string): number;
  /** admits a transaction to this node's mempool (throws when refused) and returns its hash */
  submit(bytes: Uint8Array): string;
}

/**
 * Double signing seen by consensus (two votes, or two proposals for one round) goes on the ledger
 * as an evidence transaction signed by this node; the evidence module re-verifies it.
 */
export function submitEvidence(deps: EvidenceSubmitDeps, ev: ConsensusEvidence): void {
  const { chainId, nodeKeys: keys, ed, log } = deps;
  try {
    const nonce = deps.pendingNonce(toHex(keys.signing.publicKey));
    const payload = { evidence: encodeEvidence(chainId, ev) };
    const tx = signTx(ed, keys.signing.secretKey, { chainId, signer: keys.signing.publicKey, nonce, module: 'evidence', type: 'submit', payload });
    const hash = deps.submit(encodeTx(tx));
    const o = offenceOf(ev);
    log.warn({ validator: toHex(o.validator).slice(0, 16), height: o.height, round: o.round, type: o.type, tx: hash }, 'double signing: evidence submitted');
  } catch (e) {
    // Another node's evidence for the same offence may already be on the ledger or in the mempool.
    log.info({ reason: (e as Error).message }, 'double signing: evidence not submitted');
  }
}
