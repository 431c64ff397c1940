import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPrivateKey } from 'node:crypto';
import { SalusError, fromHex, generateIdentityKeys, hpke, randomBytes, toHex } from '@salus/core';
import { AEAD_AES128GCM, createNativeKeyWrap, openBase, sealBase } from '../src/crypto/native-hpke.js';

/**
 * The native HPKE key wrap gives the bytes RFC 9180 publishes (A.1.1: DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-128-GCM, base mode, sequence 0), and envelopes interchangeable with core's
 * WebCrypto one (@hpke/core, AES-256-GCM) in both directions.
 */
const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad0: '436f756e742d30',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};
const skR = () => createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), fromHex(A11.skRm)]), format: 'der', type: 'pkcs8' });

describe('native HPKE', () => {
  it('RFC 9180 A.1.1: from skEm the sender produces the published enc and sequence-0 ciphertext; the recipient opens it', () => {
    const s = sealBase({ recipient: fromHex(A11.pkRm), info: fromHex(A11.info), aad: fromHex(A11.aad0), plaintext: fromHex(A11.pt), aead: AEAD_AES128GCM, ephemeral: fromHex(A11.skEm) });
    expect(toHex(s.enc)).toBe(A11.enc);
    expect(toHex(s.ct)).toBe(A11.ct0);
    expect(toHex(openBase({ secretKey: skR(), enc: fromHex(A11.enc), info: fromHex(A11.info), aad: fromHex(A11.aad0), ct: fromHex(A11.ct0), aead: AEAD_AES128GCM }))).toBe(A11.pt);
    const flipped = fromHex(A11.ct0);
    flipped[3]! ^= 1;
    expect(() => openBase({ secretKey: skR(), enc: fromHex(A11.enc), info: fromHex(A11.info), aad: fromHex(A11.aad0), ct: flipped, aead: AEAD_AES128GCM })).toThrow();
  });

  it('envelopes interchange with @hpke/core in both directions (property)', async () => {
    const native = createNativeKeyWrap();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 80 }), async (dataKey, aad) => {
        const k = generateIdentityKeys().encryption;
        const a = await native.wrapKey(dataKey, k.publicKey, aad);
        expect(toHex(await hpke.webKeyWrap.unwrapKey(a, k.secretKey, aad))).toBe(toHex(dataKey));
        const b = await hpke.webKeyWrap.wrapKey(dataKey, k.publicKey, aad);
        expect(toHex(await native.unwrapKey(b, k.secretKey, aad))).toBe(toHex(dataKey));
        // a whole record sealed natively opens with the WebCrypto implementation
        const sealed = await hpke.seal(dataKey, [k.publicKey], aad, native);
        expect(toHex(await hpke.open(sealed, sealed.envelopes[0]!, k.secretKey, aad))).toBe(toHex(dataKey));
      }),
      { numRuns: 30 },
    );
  });

  it('wrong key, wrong aad, tampered envelope: DECRYPTION_FAILED; an unusable recipient: INVALID_FIELD', async () => {
    const native = createNativeKeyWrap();
    const k = generateIdentityKeys().encryption;
    const aad = new Uint8Array([1, 2, 3]);
    const env = await native.wrapKey(randomBytes(32), k.publicKey, aad);
    const code = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as SalusError | undefined)?.code;
    expect(await code(native.unwrapKey(env, generateIdentityKeys().encryption.secretKey, aad))).toBe('DECRYPTION_FAILED');
    expect(await code(native.unwrapKey(env, k.secretKey, new Uint8Array([1, 2])))).toBe('DECRYPTION_FAILED');
    expect(await code(native.unwrapKey({ ...env, wrappedKey: env.wrappedKey.slice(0, 10) }, k.secretKey, aad))).toBe('DECRYPTION_FAILED');
    expect(await code(native.unwrapKey({ ...env, enc: new Uint8Array(31) }, k.secretKey, aad))).toBe('DECRYPTION_FAILED');
    expect(await code(native.wrapKey(randomBytes(32), new Uint8Array(32), aad))).toBe('INVALID_FIELD'); // the all-zero (low-order) point
    expect(await code(native.wrapKey(randomBytes(32), new Uint8Array(31), aad))).toBe('INVALID_FIELD');
  });
});
