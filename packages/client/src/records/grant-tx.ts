import type { RecordsClient } from './client.js';
import type { GrantInput } from './types.js';

/**
 * A grant signed by the patient's wallet but not submitted: for a FHIR Consent, which carries it in
 * its `signed-grant` extension so that the FHIR server can submit it (it cannot sign for the patient).
 */
export async function grantTransaction(rc: RecordsClient, g: GrantInput): Promise<{ bytes: Uint8Array; hash: string; id: string; base64: string }> {
  const payload = await rc.grantPayload(g);
  const { chainId } = await rc.client.status();
  const nonce = await rc.client.nextNonce(rc.wallet.publicKeyHex);
  const { bytes, hash } = rc.wallet.buildTx({ chainId, nonce, module: 'records', type: 'grant', payload: payload as never });
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return { bytes, hash, id: payload.id, base64: btoa(bin) };
}
