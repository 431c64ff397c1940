import { SalusError, encodeTx, signTx, type Canonical, type Ed25519, type IdentityKeys } from '@salus/core';
import { nonceKey, type KV, type LedgerView } from '@salus/module';

/**
 * Signs and submits the anchoring key's transactions (anchors, answers to challenges). The key may
 * also sign elsewhere (an operator's CLI with the same key file), so the nonce is the larger of the
 * committed one and the next after this writer's last; a refusal that names the expected nonce is
 * retried with it.
 */
export class TxWriter {
  private next = 0;

  constructor(private readonly deps: { ed: Ed25519; keys: IdentityKeys; keyHex: string; ledger: LedgerView; committed: () => KV }) {}

  submit(type: string, payload: Canonical): string {
    const { ed, keys, ledger } = this.deps;
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const committed = (this.deps.committed().get(nonceKey(this.deps.keyHex)) as number | undefined) ?? 0;
      const nonce = Math.max(this.next, committed);
      const tx = signTx(ed, keys.signing.secretKey, { chainId: ledger.chainId, signer: keys.signing.publicKey, nonce, module: 'anchors', type, payload });
      try {
        const hash = ledger.submit(encodeTx(tx));
        this.next = nonce + 1;
        return hash;
      } catch (e) {
        last = e;
        const expected = e instanceof SalusError ? e.meta.expected : undefined;
        if (!(e instanceof SalusError) || (e.code !== 'NONCE_REPLAYED' && e.code !== 'NONCE_GAP') || typeof expected !== 'number') throw e;
        this.next = expected;
      }
    }
    throw last;
  }
}
