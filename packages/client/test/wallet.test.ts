import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SalusError, checkTxStateless, decodeTx, encodeTx, fromHex, pureEd25519, toHex, txHash, verifyTxSignature, type Canonical } from '@salus/core';
import { Wallet, type WalletJson } from '../src/index.js';

/**
 * The wallet: keys that leave it only through export(), a round trip through that export, typed
 * refusal of a tampered key file, and transactions whose bytes the node's stateless checks accept.
 */
const CHAIN = 'salus-wallet-test';

const expectCode = (f: () => unknown, code: string) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SalusError);
  expect((err as SalusError).code).toBe(code);
};

describe('Wallet export/import', () => {
  it('round-trips: the imported wallet is the same identity and signs the same bytes', () => {
    const w = Wallet.create();
    const json = w.export();
    expect(json).toEqual({
      type: 'salus-identity-keys',
      signing: { publicKey: w.publicKeyHex, secretKey: expect.stringMatching(/^[0-9a-f]{64}$/) },
      encryption: { publicKey: toHex(w.encryptionPublicKey), secretKey: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // through JSON text, as a key file travels
    const back = Wallet.import(JSON.parse(JSON.stringify(json)));
    expect(back.publicKeyHex).toBe(w.publicKeyHex);
    expect(toHex(back.encryptionPublicKey)).toBe(toHex(w.encryptionPublicKey));
    expect(back.export()).toEqual(json);
    const body = { chainId: CHAIN, nonce: 3, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(w.encryptionPublicKey) } };
    expect(toHex(back.buildTx(body).bytes)).toBe(toHex(w.buildTx(body).bytes)); // Ed25519 is deterministic
    // two wallets are two identities
    expect(Wallet.create().publicKeyHex).not.toBe(w.publicKeyHex);
  });

  it('fromSeed derives the same keys as create() exported', () => {
    const w = Wallet.create();
    const j = w.export();
    const seeded = Wallet.fromSeed(fromHex(j.signing.secretKey), fromHex(j.encryption.secretKey));
    expect(seeded.publicKeyHex).toBe(w.publicKeyHex);
    expectCode(() => Wallet.fromSeed(new Uint8Array(31), new Uint8Array(32)), 'INVALID_FIELD');
  });

  it('refuses files that are not key files, with INVALID_FIELD', () => {
    const j = Wallet.create().export();
    const cases: unknown[] = [
      null,
      undefined,
      42,
      'salus-identity-keys',
      {},
      { ...j, type: 'other' },
      { type: j.type, signing: j.signing },
      { type: j.type, encryption: j.encryption },
      { ...j, signing: { ...j.signing, secretKey: 'zz'.repeat(32) } },
      { ...j, signing: { ...j.signing, secretKey: j.signing.secretKey.slice(2) } },
      { ...j, signing: { ...j.signing, secretKey: 12 } },
    ];
    for (const c of cases) expectCode(() => Wallet.import(c), 'INVALID_FIELD');
  });

  it('refuses a key file with any hex digit changed (public or secret, signing or encryption) that changes a key', () => {
    const j = Wallet.create().export();
    const fields = [
      ['signing', 'publicKey'],
      ['signing', 'secretKey'],
      ['encryption', 'publicKey'],
      ['encryption', 'secretKey'],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(63), fc.constantFrom(...'0123456789abcdef'), ([part, field], at, digit) => {
        const old = j[part][field];
        fc.pre(old[at] !== digit);
        const changed = old.slice(0, at) + digit + old.slice(at + 1);
        const tampered: WalletJson = { ...j, [part]: { ...j[part], [field]: changed } };
        // X25519 clamps its scalar (RFC 7748 §5): bits 0-2 of the first byte and 6-7 of the last do
        // not count, so a change there is the same key, and is the one change that may import
        const byte = Math.floor(at / 2);
        const flipped = parseInt(old.slice(2 * byte, 2 * byte + 2), 16) ^ parseInt(changed.slice(2 * byte, 2 * byte + 2), 16);
        const clampedOnly = part === 'encryption' && field === 'secretKey' && (flipped & ~(byte === 0 ? 0x07 : byte === 31 ? 0xc0 : 0)) === 0;
        if (clampedOnly) expect(toHex(Wallet.import(tampered).encryptionPublicKey)).toBe(j.encryption.publicKey);
        else expectCode(() => Wallet.import(tampered), 'INVALID_FIELD');
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

/** Canonical payloads: records of strings, safe integers, booleans, null, bytes and nested lists. */
const canonical: fc.Arbitrary<Canonical> = fc.letrec<{ value: Canonical }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1_000_000, max: Number.MAX_SAFE_INTEGER }),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const names = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);

describe('Wallet.buildTx', () => {
  const w = Wallet.create();

  it('produces canonical bytes that decodeTx and checkTxStateless accept, and that name their hash', () => {
    fc.assert(
      fc.property(fc.nat(), names, names, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), canonical, { maxKeys: 5 }), (nonce, module, type, payload) => {
        const built = w.buildTx({ chainId: CHAIN, nonce, module, type, payload });
        const decoded = decodeTx(built.bytes);
        expect(decoded).toEqual(built.tx);
        expect(decoded).toMatchObject({ chainId: CHAIN, nonce, module, type, signer: w.publicKey });
        expect(toHex(encodeTx(decoded))).toBe(toHex(built.bytes)); // one encoding per transaction
        const checked = checkTxStateless(pureEd25519, built.bytes, CHAIN);
        expect(toHex(checked.hash)).toBe(built.hash);
        expect(toHex(txHash(built.bytes))).toBe(built.hash);
        expect(verifyTxSignature(pureEd25519, decoded)).toBe(true);
        expectCode(() => checkTxStateless(pureEd25519, built.bytes, 'another-chain'), 'WRONG_CHAIN');
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('any changed byte of a signed transaction is refused with a typed error', () => {
    const { bytes } = w.buildTx({ chainId: CHAIN, nonce: 7, module: 'identity', type: 'add_member', payload: { org: 'org-a', name: 'Dr Who', n: 12345 } });
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const b = Uint8Array.from(bytes);
        b[at] = b[at]! ^ xor;
        let err: unknown;
        try {
          checkTxStateless(pureEd25519, b, CHAIN);
        } catch (e) {
          err = e;
        }
        expect(err, `byte ${at} ^ ${xor}`).toBeInstanceOf(SalusError);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('refuses to sign what the node would refuse', () => {
    const body = { chainId: CHAIN, nonce: 0, module: 'identity', type: 'add_member', payload: {} };
    expectCode(() => w.buildTx({ ...body, module: 'Identity' }), 'INVALID_FIELD');
    expectCode(() => w.buildTx({ ...body, type: 'add-member' }), 'INVALID_FIELD');
    expectCode(() => w.buildTx({ ...body, nonce: -1 }), 'INVALID_FIELD');
    expectCode(() => w.buildTx({ ...body, nonce: 1.5 }), 'INVALID_FIELD');
    expectCode(() => w.buildTx({ ...body, chainId: '' }), 'INVALID_FIELD');
    expectCode(() => w.buildTx({ ...body, payload: { x: 0.5 } }), 'INVALID_FIELD');
  });
});
