import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  type Ed25519,
  type SignDomain,
  fromHex,
  generateIdentityKeys,
  isSalusError,
  pureEd25519,
  signBytes,
  signObject,
  toHex,
  utf8ToBytes,
  verifyObject,
} from '../src/index.js';
import { RFC8032_ED25519, addGroupOrder } from './vectors/rfc8032.js';

/**
 * Conformance of the pure (browser) Ed25519 to RFC 8032 §7.1, and the domain separation that
 * signing.ts builds on it. The node's native implementation runs the same vectors in
 * packages/node/test/ed25519-native.test.ts.
 */

const DOMAINS: readonly SignDomain[] = ['tx', 'vote', 'proposal', 'disclosure', 'challenge'];

/** Inputs that are not a valid (public key, signature) pair in some structural way. */
function malformedInputs(pk: Uint8Array, sig: Uint8Array): { name: string; pk: unknown; sig: unknown }[] {
  const nonCanonicalS = sig.slice();
  nonCanonicalS.set(addGroupOrder(sig.subarray(32)), 32);
  // y = 2^255 - 1 (≥ p): not a canonical field element, so not a point encoding.
  const yTooLarge = new Uint8Array(32).fill(0xff);
  yTooLarge[31] = 0x7f;
  // y = 2: x² = (y² - 1)/(d y² + 1) has no square root, so no point has this y.
  const notOnCurve = new Uint8Array(32);
  notOnCurve[0] = 2;
  const badR = sig.slice();
  badR.set(notOnCurve, 0);
  return [
    { name: 'empty public key', pk: new Uint8Array(0), sig },
    { name: '31-byte public key', pk: pk.subarray(0, 31), sig },
    { name: '33-byte public key', pk: Uint8Array.of(...pk, 0), sig },
    { name: 'public key y ≥ p', pk: yTooLarge, sig },
    { name: 'public key not on the curve', pk: notOnCurve, sig },
    { name: 'empty signature', pk, sig: new Uint8Array(0) },
    { name: '63-byte signature', pk, sig: sig.subarray(0, 63) },
    { name: '65-byte signature', pk, sig: Uint8Array.of(...sig, 0) },
    { name: 'all-zero signature', pk, sig: new Uint8Array(64) },
    { name: 'signature with S + L (non-canonical S)', pk, sig: nonCanonicalS },
    { name: 'signature with R not on the curve', pk, sig: badR },
    { name: 'public key as hex string', pk: toHex(pk), sig },
    { name: 'signature as number array', pk, sig: Array.from(sig) },
    { name: 'null public key', pk: null, sig },
    { name: 'undefined signature', pk, sig: undefined },
  ];
}

/** What any Ed25519 implementation plugged into core must satisfy. */
function conformance(name: string, ed: Ed25519): void {
  describe(`${name}: RFC 8032 §7.1 test vectors`, () => {
    for (const v of RFC8032_ED25519) {
      it(`${v.name}: derives the public key, reproduces the signature byte for byte and verifies it`, () => {
        const sk = fromHex(v.secretKey, 32);
        const pk = fromHex(v.publicKey, 32);
        const msg = fromHex(v.message);
        const sig = fromHex(v.signature, 64);
        expect(toHex(ed.publicKey(sk))).toBe(v.publicKey);
        expect(toHex(ed.sign(sk, msg))).toBe(v.signature);
        expect(ed.verify(pk, msg, sig)).toBe(true);
      });

      it(`${v.name}: any flipped bit in message, signature or public key is refused`, () => {
        const pk = fromHex(v.publicKey, 32);
        const msg = fromHex(v.message);
        const sig = fromHex(v.signature, 64);
        for (let bit = 0; bit < 512; bit += 37) {
          const s = sig.slice();
          s[bit >> 3]! ^= 1 << (bit & 7);
          expect(ed.verify(pk, msg, s)).toBe(false);
        }
        for (let bit = 0; bit < 256; bit += 29) {
          const p = pk.slice();
          p[bit >> 3]! ^= 1 << (bit & 7);
          expect(ed.verify(p, msg, sig)).toBe(false);
        }
        const longer = Uint8Array.of(...msg, 0);
        expect(ed.verify(pk, longer, sig)).toBe(false);
        if (msg.length > 0) {
          const m = msg.slice();
          m[m.length - 1]! ^= 0x80;
          expect(ed.verify(pk, m, sig)).toBe(false);
          expect(ed.verify(pk, msg.subarray(0, msg.length - 1), sig)).toBe(false);
        }
      });
    }

    it('malformed keys and signatures give false, never an exception', () => {
      const v = RFC8032_ED25519[1]!;
      const pk = fromHex(v.publicKey, 32);
      const msg = fromHex(v.message);
      const sig = fromHex(v.signature, 64);
      for (const bad of malformedInputs(pk, sig)) {
        let result: unknown;
        expect(() => {
          result = ed.verify(bad.pk as Uint8Array, msg, bad.sig as Uint8Array);
        }, bad.name).not.toThrow();
        expect(result, bad.name).toBe(false);
      }
    });

    it('fuzz: random public keys and signatures verify false and never throw', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (msg, pk, sig) => {
          expect(ed.verify(pk, msg, sig)).toBe(false);
        }),
        { numRuns: 200 },
      );
    });
  });
}

conformance('pureEd25519', pureEd25519);

describe('RFC 8032 vector data', () => {
  it('TEST 1024 carries a 1023-octet message and TEST SHA(abc) signs SHA-512("abc")', () => {
    expect(fromHex(RFC8032_ED25519.find((v) => v.name === 'TEST 1024')!.message).length).toBe(1023);
    expect(RFC8032_ED25519.find((v) => v.name === 'TEST SHA(abc)')!.message).toBe(toHex(sha512(utf8ToBytes('abc'))));
  });
});

describe('domain-separated signatures (signing.ts)', () => {
  const keys = generateIdentityKeys({ signing: fromHex(RFC8032_ED25519[0]!.secretKey, 32), encryption: new Uint8Array(32).fill(7) });
  const pk = keys.signing.publicKey;
  const sk = keys.signing.secretKey;
  const body = { module: 'records', n: 1, blob: new Uint8Array([1, 2, 3]) };

  it('signs "SALUS\\0<domain>\\0<chain id>\\0" followed by the canonical bytes', () => {
    const bytes = signBytes('tx', 'salus-main', body);
    const prefix = utf8ToBytes('SALUS\0tx\0salus-main\0');
    expect(toHex(bytes.subarray(0, prefix.length))).toBe(toHex(prefix));
    expect(toHex(pureEd25519.sign(sk, bytes))).toBe(toHex(signObject(pureEd25519, sk, 'tx', 'salus-main', body)));
  });

  it('a signature verifies for its own domain and chain only', () => {
    for (const domain of DOMAINS) {
      const sig = signObject(pureEd25519, sk, domain, 'salus-main', body);
      expect(verifyObject(pureEd25519, pk, sig, domain, 'salus-main', body)).toBe(true);
      for (const other of DOMAINS.filter((d) => d !== domain)) {
        expect(verifyObject(pureEd25519, pk, sig, other, 'salus-main', body), `${domain} as ${other}`).toBe(false);
      }
      expect(verifyObject(pureEd25519, pk, sig, domain, 'salus-test', body)).toBe(false);
      expect(verifyObject(pureEd25519, pk, sig, domain, 'salus-main2', body)).toBe(false);
      expect(verifyObject(pureEd25519, pk, sig, domain, 'salus-mai', body)).toBe(false);
      expect(verifyObject(pureEd25519, pk, sig, domain, 'salus-main', { ...body, n: 2 })).toBe(false);
    }
  });

  it('property: for random chain ids, domains and bodies, a signature does not carry over to any other pair', () => {
    const chainId = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
    const domain = fc.constantFrom(...DOMAINS);
    fc.assert(
      fc.property(chainId, chainId, domain, domain, fc.uint8Array({ maxLength: 32 }), (c1, c2, d1, d2, blob) => {
        fc.pre(c1 !== c2 || d1 !== d2);
        const sig = signObject(pureEd25519, sk, d1, c1, { blob });
        expect(verifyObject(pureEd25519, pk, sig, d1, c1, { blob })).toBe(true);
        expect(verifyObject(pureEd25519, pk, sig, d2, c2, { blob })).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('property: the domain/chain prefixes are prefix-free, so no two (domain, chain) pairs can sign equal bytes', () => {
    // CBOR null is the single byte f6: what is left is the "SALUS\0<domain>\0<chain id>\0" prefix.
    const prefix = (d: SignDomain, c: string) => toHex(signBytes(d, c, null).slice(0, -1));
    const pair = fc.tuple(fc.constantFrom(...DOMAINS), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/));
    fc.assert(
      fc.property(pair, pair, ([d1, c1], [d2, c2]) => {
        fc.pre(d1 !== d2 || c1 !== c2);
        expect(prefix(d2, c2).startsWith(prefix(d1, c1))).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(prefix('tx', 'a')).toBe(toHex(utf8ToBytes('SALUS\0tx\0a\0')));
  });

  it('an invalid chain id is refused with INVALID_FIELD, not signed or verified', () => {
    const sig = signObject(pureEd25519, sk, 'tx', 'salus-main', body);
    for (const bad of ['', 'Salus', 'salus main', 'salus\0tx', '-salus', 'x'.repeat(65)]) {
      expect(() => signBytes('tx', bad, body), JSON.stringify(bad)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
      let err: unknown;
      try {
        verifyObject(pureEd25519, pk, sig, 'tx', bad, body);
      } catch (e) {
        err = e;
      }
      expect(isSalusError(err, 'INVALID_FIELD'), JSON.stringify(bad)).toBe(true);
    }
  });
});
