import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { type Envelope, type Sealed, fromHex, generateIdentityKeys, hpke, isSalusError, toHex, utf8ToBytes } from '../src/index.js';

/**
 * RFC 9180 conformance of the HPKE that hpke.ts builds on, and the envelope encryption itself.
 *
 * The published vector reproduced here is RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-128-GCM, mode_base, with the ephemeral key derived from ikmE through
 * @hpke/core's deterministic test hook (`ekm`). Values as in the CFRG test-vectors.json entry
 * (mode 0, kem 0x0020, kdf 0x0001, aead 0x0001) that Go's crypto/internal/hpke and
 * BoringSSL/AWS-LC's hpke_test_vectors.txt carry. Salus itself seals with AES-256-GCM (aead
 * 0x0002); its KEM is the same, and is checked against the same vector below.
 */
const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  /** sequence number → [aad, ct]; aad is "Count-<seq>" */
  encryptions: new Map<number, [string, string]>([
    [0, ['436f756e742d30', 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a']],
    [1, ['436f756e742d31', 'af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84']],
    [2, ['436f756e742d32', '498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180']],
    [3, ['436f756e742d33', '6b0f4cd351730cd25993d8ad0f11bff1ef2c3a957cb4d8694bb06c60a2937385da1b47a11595dd7a9a28f76c26']],
    [4, ['436f756e742d34', '583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d']],
    [255, ['436f756e742d323535', '7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a']],
    [256, ['436f756e742d323536', '957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2']],
  ]),
  /** exporter_context → exported_value, L = 32 */
  exports: [
    ['', '3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee'],
    ['00', '2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5'],
    ['54657374436f6e74657874', 'e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931'],
  ],
} as const;

const ab = (u: Uint8Array): ArrayBuffer => u.slice().buffer as ArrayBuffer;
const hexOf = (b: ArrayBuffer) => toHex(new Uint8Array(b));

describe('RFC 9180 A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode', () => {
  const suite128 = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

  it('derives the published key pairs from ikmR and ikmE', async () => {
    const r = await suite128.kem.deriveKeyPair(ab(fromHex(A11.ikmR)));
    expect(hexOf(await suite128.kem.serializePublicKey(r.publicKey))).toBe(A11.pkRm);
    expect(hexOf(await suite128.kem.serializePrivateKey(r.privateKey))).toBe(A11.skRm);
    const e = await suite128.kem.deriveKeyPair(ab(fromHex(A11.ikmE)));
    expect(hexOf(await suite128.kem.serializePublicKey(e.publicKey))).toBe(A11.pkEm);
    expect(hexOf(await suite128.kem.serializePrivateKey(e.privateKey))).toBe(A11.skEm);
  });

  it('the sender, with its ephemeral key derived from ikmE, produces the published enc, ciphertexts and exports', async () => {
    const recipientPublicKey = await suite128.kem.deserializePublicKey(ab(fromHex(A11.pkRm)));
    const sender = await suite128.createSenderContext({ recipientPublicKey, info: ab(fromHex(A11.info)), ekm: ab(fromHex(A11.ikmE)) });
    expect(hexOf(sender.enc)).toBe(A11.enc);
    for (let seq = 0; seq <= 256; seq++) {
      const known = A11.encryptions.get(seq);
      const aad = known ? fromHex(known[0]) : utf8ToBytes(`Count-${seq}`);
      const ct = await sender.seal(ab(fromHex(A11.pt)), ab(aad));
      if (known) expect(hexOf(ct), `sequence number ${seq}`).toBe(known[1]);
    }
    for (const [context, value] of A11.exports) {
      expect(hexOf(await sender.export(ab(fromHex(context)), 32)), `export "${context}"`).toBe(value);
    }
  });

  it('the recipient, from skRm and enc, opens the published ciphertexts and refuses them out of order', async () => {
    const recipientKey = await suite128.kem.deserializePrivateKey(ab(fromHex(A11.skRm)));
    const params = { recipientKey, enc: ab(fromHex(A11.enc)), info: ab(fromHex(A11.info)) };
    const recipient = await suite128.createRecipientContext(params);
    for (const seq of [0, 1, 2, 3, 4]) {
      const [aad, ct] = A11.encryptions.get(seq)!;
      expect(hexOf(await recipient.open(ab(fromHex(ct)), ab(fromHex(aad)))), `sequence number ${seq}`).toBe(A11.pt);
    }
    for (const [context, value] of A11.exports) {
      expect(hexOf(await recipient.export(ab(fromHex(context)), 32))).toBe(value);
    }
    // A fresh context is at sequence number 0: the ciphertext of sequence number 1 does not open there.
    const fresh = await suite128.createRecipientContext(params);
    const [aad1, ct1] = A11.encryptions.get(1)!;
    await expect(fresh.open(ab(fromHex(ct1)), ab(fromHex(aad1)))).rejects.toThrow();
    // Single-shot open is sequence number 0.
    const [aad0, ct0] = A11.encryptions.get(0)!;
    expect(hexOf(await suite128.open(params, ab(fromHex(ct0)), ab(fromHex(aad0))))).toBe(A11.pt);
  });

  it('Salus\'s own suite (AES-256-GCM) has the same KEM: same keys, same enc and the published shared secret', async () => {
    const kem = hpke.suite.kem;
    const r = await kem.deriveKeyPair(ab(fromHex(A11.ikmR)));
    expect(hexOf(await kem.serializePublicKey(r.publicKey))).toBe(A11.pkRm);
    const { enc, sharedSecret } = await kem.encap({ recipientPublicKey: r.publicKey, ekm: ab(fromHex(A11.ikmE)) });
    expect(hexOf(enc)).toBe(A11.enc);
    expect(hexOf(sharedSecret)).toBe(A11.sharedSecret);
    expect(hexOf(await kem.decap({ recipientKey: r.privateKey, enc }))).toBe(A11.sharedSecret);
    // And an envelope Salus wraps to pkRm opens with skRm.
    const dataKey = new Uint8Array(32).fill(0x5a);
    const aad = utf8ToBytes('record-1/v1');
    const envelope = await hpke.wrapKey(dataKey, fromHex(A11.pkRm, 32), aad);
    expect(toHex(await hpke.unwrapKey(envelope, fromHex(A11.skRm, 32), aad))).toBe(toHex(dataKey));
  });
});

async function expectDecryptionFailed(p: Promise<unknown>, what: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(isSalusError(err, 'DECRYPTION_FAILED'), `${what}: ${String(err)}`).toBe(true);
}

function flip(b: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = b.slice();
  out[at % out.length]! ^= 1 << bit;
  return out;
}

describe('envelope encryption (hpke.ts)', () => {
  const people = Array.from({ length: 4 }, (_, i) =>
    generateIdentityKeys({ signing: new Uint8Array(32).fill(i + 1), encryption: new Uint8Array(32).fill(0x40 + i) }),
  );
  const aad = utf8ToBytes('record:9f2c/version:3/patient:p-77');
  const plaintext = utf8ToBytes(JSON.stringify({ resourceType: 'Observation', status: 'final', valueQuantity: { value: 7.2 } }));

  let sealedOnce: Promise<Sealed> | undefined;
  const sealed = () => (sealedOnce ??= hpke.seal(plaintext, people.slice(0, 3).map((p) => p.encryption.publicKey), aad));

  it('every recipient opens the record with their own key and envelope', async () => {
    const s = await sealed();
    expect(s.envelopes.length).toBe(3);
    expect(s.nonce.length).toBe(12);
    expect(s.ciphertext.length).toBe(plaintext.length + 16);
    for (let i = 0; i < 3; i++) {
      expect(toHex(s.envelopes[i]!.recipient)).toBe(toHex(people[i]!.encryption.publicKey));
      expect(s.envelopes[i]!.enc.length).toBe(32);
      expect(s.envelopes[i]!.wrappedKey.length).toBe(32 + 16);
      expect(toHex(await hpke.open(s, s.envelopes[i]!, people[i]!.encryption.secretKey, aad))).toBe(toHex(plaintext));
    }
  });

  it('each seal uses a fresh data key, nonce and ephemeral key', async () => {
    const a = await hpke.seal(plaintext, [people[0]!.encryption.publicKey], aad);
    const b = await hpke.seal(plaintext, [people[0]!.encryption.publicKey], aad);
    expect(toHex(a.ciphertext)).not.toBe(toHex(b.ciphertext));
    expect(toHex(a.nonce)).not.toBe(toHex(b.nonce));
    expect(toHex(a.envelopes[0]!.enc)).not.toBe(toHex(b.envelopes[0]!.enc));
  });

  it('seal and open an empty record and one with no recipients', async () => {
    const e = await hpke.seal(new Uint8Array(0), [people[3]!.encryption.publicKey], new Uint8Array(0));
    expect((await hpke.open(e, e.envelopes[0]!, people[3]!.encryption.secretKey, new Uint8Array(0))).length).toBe(0);
    const none = await hpke.seal(plaintext, [], aad);
    expect(none.envelopes).toEqual([]);
  });

  it('wrong key: someone not a recipient, or a recipient with another\'s envelope, gets DECRYPTION_FAILED', async () => {
    const s = await sealed();
    await expectDecryptionFailed(hpke.open(s, s.envelopes[0]!, people[3]!.encryption.secretKey, aad), 'outsider');
    await expectDecryptionFailed(hpke.open(s, s.envelopes[0]!, people[1]!.encryption.secretKey, aad), 'recipient 1 with envelope 0');
    await expectDecryptionFailed(hpke.open(s, s.envelopes[1]!, people[1]!.signing.secretKey, aad), 'signing key instead of encryption key');
  });

  it('wrong associated data (another record, version or patient) gets DECRYPTION_FAILED', async () => {
    const s = await sealed();
    for (const other of ['record:9f2c/version:4/patient:p-77', 'record:9f2d/version:3/patient:p-77', 'record:9f2c/version:3/patient:p-78', '']) {
      await expectDecryptionFailed(hpke.open(s, s.envelopes[0]!, people[0]!.encryption.secretKey, utf8ToBytes(other)), other);
    }
  });

  it('an envelope moved to another record (same recipient, other aad) does not open it', async () => {
    const s = await sealed();
    const otherAad = utf8ToBytes('record:1111/version:1/patient:p-77');
    const other = await hpke.seal(utf8ToBytes('other'), [people[0]!.encryption.publicKey], otherAad);
    await expectDecryptionFailed(hpke.open(other, s.envelopes[0]!, people[0]!.encryption.secretKey, otherAad), 'moved envelope, other aad');
    await expectDecryptionFailed(hpke.open(other, s.envelopes[0]!, people[0]!.encryption.secretKey, aad), 'moved envelope, its own aad');
  });

  it('property: any tampered ciphertext, nonce, enc or wrapped key gets DECRYPTION_FAILED', async () => {
    const s = await sealed();
    const part = fc.constantFrom('ciphertext', 'nonce', 'enc', 'wrappedKey', 'truncate', 'extend');
    await fc.assert(
      fc.asyncProperty(part, fc.nat(), fc.nat({ max: 7 }), fc.nat({ max: 2 }), async (what, at, bit, who) => {
        const env: Envelope = s.envelopes[who]!;
        let t: Sealed = s;
        let e: Envelope = env;
        switch (what) {
          case 'ciphertext':
            t = { ...s, ciphertext: flip(s.ciphertext, at, bit) };
            break;
          case 'nonce':
            t = { ...s, nonce: flip(s.nonce, at, bit) };
            break;
          case 'enc':
            e = { ...env, enc: flip(env.enc, at, bit) };
            break;
          case 'wrappedKey':
            e = { ...env, wrappedKey: flip(env.wrappedKey, at, bit) };
            break;
          case 'truncate':
            t = { ...s, ciphertext: s.ciphertext.subarray(0, at % s.ciphertext.length) };
            break;
          case 'extend':
            t = { ...s, ciphertext: Uint8Array.of(...s.ciphertext, at & 0xff) };
            break;
        }
        await expectDecryptionFailed(hpke.open(t, e, people[who]!.encryption.secretKey, aad), what);
      }),
      { numRuns: 60 },
    );
  });

  it('malformed envelopes and keys get DECRYPTION_FAILED, never another error', async () => {
    const s = await sealed();
    const env = s.envelopes[0]!;
    const sk = people[0]!.encryption.secretKey;
    const cases: [string, Envelope, Uint8Array][] = [
      ['empty enc', { ...env, enc: new Uint8Array(0) }, sk],
      ['31-byte enc', { ...env, enc: env.enc.subarray(0, 31) }, sk],
      ['33-byte enc', { ...env, enc: Uint8Array.of(...env.enc, 0) }, sk],
      ['all-zero enc (low-order point)', { ...env, enc: new Uint8Array(32) }, sk],
      ['empty wrapped key', { ...env, wrappedKey: new Uint8Array(0) }, sk],
      ['wrapped key without its tag', { ...env, wrappedKey: env.wrappedKey.subarray(0, 32) }, sk],
      ['31-byte secret key', env, sk.subarray(0, 31)],
      ['empty secret key', env, new Uint8Array(0)],
    ];
    for (const [name, e, key] of cases) await expectDecryptionFailed(hpke.open(s, e, key, aad), name);
  });

  it('a recipient key that is not 32 bytes or not a usable X25519 point is refused with INVALID_FIELD', async () => {
    for (const [name, key] of [
      ['31 bytes', new Uint8Array(31).fill(9)],
      ['33 bytes', new Uint8Array(33).fill(9)],
      ['all-zero (low-order point)', new Uint8Array(32)],
      ['order-1 point (u = 1)', Uint8Array.of(1, ...new Uint8Array(31))],
    ] as const) {
      let err: unknown;
      try {
        await hpke.seal(plaintext, [people[0]!.encryption.publicKey, key], aad);
      } catch (e) {
        err = e;
      }
      expect(isSalusError(err, 'INVALID_FIELD'), `${name}: ${String(err)}`).toBe(true);
    }
  });

  it('seals exactly the bytes of a view into a larger buffer, such as a pooled Node Buffer', async () => {
    const k = generateIdentityKeys();
    const aad = utf8ToBytes('aad');
    const pooled = Buffer.from('a short plaintext in a pooled buffer');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const view = new Uint8Array(new ArrayBuffer(64), 8, 5).fill(7);
    for (const plaintext of [pooled, view]) {
      const sealed = await hpke.seal(plaintext, [k.encryption.publicKey], aad);
      const opened = await hpke.open(sealed, sealed.envelopes[0]!, k.encryption.secretKey, aad);
      expect(toHex(opened)).toBe(toHex(plaintext));
    }
  });
});
