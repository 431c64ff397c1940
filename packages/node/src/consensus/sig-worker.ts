import { parentPort } from 'node:worker_threads';
import { decodeTx, txSignBytes } from '@salus/core';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';

/**
 * The thread `TxSignatureChecker` starts: decodes each transaction of a synced block and checks its
 * signature with the node's native Ed25519, as the Chain would; answers with one verdict each
 * (false for a transaction that does not decode or verify).
 */
const ed = createNativeEd25519();

parentPort?.on('message', (m: { readonly id: number; readonly txs: readonly Uint8Array[] }) => {
  const verdicts = m.txs.map((bytes) => {
    try {
      const tx = decodeTx(bytes);
      return ed.verify(tx.signer, txSignBytes(tx), tx.signature);
    } catch {
      return false;
    }
  });
  parentPort!.postMessage({ id: m.id, verdicts });
});
