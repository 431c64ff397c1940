// The client's own cost of a read and of a write, measured before any validator runs: sign the
// request, unwrap + decrypt a ~docBytes record; encrypt one to 6 recipients (as a write-phase write).
import { Wallet, recordAad, sealBlobs } from '@salus/client';
import type { KeyWrap } from '@salus/core';
import { createNativeEd25519 } from '../lib/native-crypto.js';
import { CHAIN_ID } from '../lib/genesis.js';
import { round } from '../lib/stats.js';
import { fhirDoc } from './fhir-doc.js';

export interface ClientCrypto {
  sign_request: number;
  unwrap_and_decrypt: number;
  encrypt_to_6_recipients: number;
  web_hpke: { unwrap_and_decrypt: number; encrypt_to_6_recipients: number };
  hpke: string;
  note: string;
}

export async function clientCryptoCost(docBytes: number, kw: KeyWrap | undefined, webHpke: boolean): Promise<ClientCrypto> {
  const ed0 = createNativeEd25519();
  const w = Wallet.create(ed0, kw);
  const web = Wallet.create(ed0);
  const pt = new TextEncoder().encode(JSON.stringify(fhirDoc(docBytes, 'x')));
  const aad = recordAad(`rec-${'0'.repeat(32)}`, 1, `pat-${'0'.repeat(32)}`);
  const six = Array.from({ length: 6 }, () => w.encryptionPublicKey);
  const sealed = await sealBlobs(pt, [w.encryptionPublicKey], aad, w.keyWrap);
  const sealedWeb = await sealBlobs(pt, [web.encryptionPublicKey], aad);
  const cpuPer = async (n: number, f: () => unknown): Promise<number> => {
    for (let i = 0; i < 20; i++) await f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await f();
    const c = process.cpuUsage(c0);
    return round((c.user + c.system) / 1000 / n, 3);
  };
  return {
    sign_request: await cpuPer(500, () => w.authorization(CHAIN_ID, { method: 'GET', path: '/v1/records/x/versions/1', purpose: 'treatment', bodyHash: '', aud: '0'.repeat(64) })),
    unwrap_and_decrypt: await cpuPer(200, () => w.openRecord(sealed.content, sealed.envelopes[0]!.bytes, aad)),
    encrypt_to_6_recipients: await cpuPer(100, () => sealBlobs(pt, six, aad, w.keyWrap)),
    web_hpke: {
      unwrap_and_decrypt: await cpuPer(200, () => web.openRecord(sealedWeb.content, sealedWeb.envelopes[0]!.bytes, aad)),
      encrypt_to_6_recipients: await cpuPer(100, () => sealBlobs(pt, six, aad)),
    },
    hpke: webHpke ? 'WebCrypto (@hpke/core)' : 'native (node:crypto)',
    note: 'CPU ms per operation in this process (SDK: Wallet.authorization; Wallet.openRecord = HPKE unwrap + AES-GCM; sealBlobs), measured before the validators start; web_hpke: the same with the WebCrypto HPKE a browser uses',
  };
}
