import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, pureEd25519, signTx, toHex, verifyTxSignature } from '@salus/core';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { RFC8032_ED25519, addGroupOrder } from '../../core/test/vectors/rfc8032.js';

/**
 * The node's OpenSSL-backed Ed25519 against RFC 8032 §7.1 (the same vector file core's pure
 * implementation is tested with), and against core's pure implementation: the two must agree on
 * every signature and every verdict, or nodes and browsers would disagree about what is valid.
 */
const native = createNativeEd25519();

describe('native Ed25519: RFC 8032 §7.1 test vectors', () => {
  for (const v of RFC8032_ED25519) {
    it(`${v.name}: reproduces the signature byte for byte and verifies it`, () => {
      const sk = fromHex(v.secretKey, 32);
      const pk = fromHex(v.publicKey, 32);
      const msg = fromHex(v.message);
      const sig = fromHex(v.signature, 64);
      expect(toHex(native.publicKey(sk))).toBe(v.publicKey);
      expect(toHex(native.sign(sk, msg))).toBe(v.signature);
      expect(native.verify(pk, msg, sig)).toBe(true);
      const flipped = sig.slice();
      flipped[63]! ^= 0x10;
      expect(native.verify(pk, msg, flipped)).toBe(false);
      expect(native.verify(pk, Uint8Array.of(...msg, 0), sig)).toBe(false);
    });
  }

  it('refuses a signature whose S is not reduced (S + L), as RFC 8032 §5.1.7 requires', () => {
    const v = RFC8032_ED25519[0]!;
    const sig = fromHex(v.signature, 64);
    const bad = sig.slice();
    bad.set(addGroupOrder(sig.subarray(32)), 32);
    expect(native.verify(fromHex(v.publicKey, 32), fromHex(v.message), bad)).toBe(false);
    expect(pureEd25519.verify(fromHex(v.publicKey, 32), fromHex(v.message), bad)).toBe(false);
  });

  it('malformed keys and signatures give false, never an exception', () => {
    const v = RFC8032_ED25519[2]!;
    const pk = fromHex(v.publicKey, 32);
    const msg = fromHex(v.message);
    const sig = fromHex(v.signature, 64);
    const yTooLarge = new Uint8Array(32).fill(0xff);
    yTooLarge[31] = 0x7f;
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    const cases: [string, unknown, unknown][] = [
      ['empty public key', new Uint8Array(0), sig],
      ['31-byte public key', pk.subarray(0, 31), sig],
      ['33-byte public key', Uint8Array.of(...pk, 0), sig],
      ['public key y ≥ p', yTooLarge, sig],
      ['public key not on the curve', notOnCurve, sig],
      ['63-byte signature', pk, sig.subarray(0, 63)],
      ['65-byte signature', pk, Uint8Array.of(...sig, 0)],
      ['all-zero signature', pk, new Uint8Array(64)],
      ['hex-string public key', toHex(pk), sig],
      ['number-array signature', pk, Array.from(sig)],
      ['null public key', null, sig],
      ['undefined signature', pk, undefined],
    ];
    for (const [name, badPk, badSig] of cases) {
      let result: unknown;
      expect(() => {
        result = native.verify(badPk as Uint8Array, msg, badSig as Uint8Array);
      }, name).not.toThrow();
      expect(result, name).toBe(false);
      // Asking twice exercises the key cache with a key that failed to import.
      expect(native.verify(badPk as Uint8Array, msg, badSig as Uint8Array), name).toBe(false);
    }
  });
});

describe('native and pure Ed25519 agree', () => {
  it('property: same public key, same signature, and each verifies the other', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (sk, msg) => {
        const pk = pureEd25519.publicKey(sk);
        expect(toHex(native.publicKey(sk))).toBe(toHex(pk));
        const sig = native.sign(sk, msg);
        expect(toHex(pureEd25519.sign(sk, msg))).toBe(toHex(sig));
        expect(native.verify(pk, msg, sig)).toBe(true);
        expect(pureEd25519.verify(pk, msg, sig)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('property: on a mutated signature, key or message both say false', () => {
    const sk = fromHex(RFC8032_ED25519[3]!.secretKey, 32);
    const pk = pureEd25519.publicKey(sk);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 64 + 32 - 1 }), fc.integer({ min: 1, max: 255 }), (msg, at, xor) => {
        const sig = pureEd25519.sign(sk, msg);
        const s = sig.slice();
        const p = pk.slice();
        if (at < 64) s[at]! ^= xor;
        else p[at - 64]! ^= xor;
        expect(native.verify(p, msg, s)).toBe(false);
        expect(pureEd25519.verify(p, msg, s)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('property: random 32-byte keys and 64-byte signatures get the same verdict (false) from both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (pk, sig) => {
        const msg = new Uint8Array([1, 2, 3]);
        expect(native.verify(pk, msg, sig)).toBe(pureEd25519.verify(pk, msg, sig));
        expect(native.verify(pk, msg, sig)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a transaction signed by one verifies with the other', () => {
    const sk = fromHex(RFC8032_ED25519[4]!.secretKey, 32);
    const body = { chainId: 'salus-test', signer: pureEd25519.publicKey(sk), nonce: 3, module: 'records', type: 'grant', payload: { to: 'x' } };
    const a = signTx(native, sk, body);
    const b = signTx(pureEd25519, sk, body);
    expect(toHex(a.signature)).toBe(toHex(b.signature));
    expect(verifyTxSignature(pureEd25519, a)).toBe(true);
    expect(verifyTxSignature(native, b)).toBe(true);
  });
});
