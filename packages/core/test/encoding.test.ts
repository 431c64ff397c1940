import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, isSalusError, fromHex, type Canonical } from '../src/index.js';

const canonical: fc.Arbitrary<Canonical> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value as fc.Arbitrary<Canonical>;

describe('canonical CBOR', () => {
  it('round-trips every canonical value to identical bytes', () => {
    fc.assert(
      fc.property(canonical, (v) => {
        const b = encode(v);
        expect(encode(decode(b) as Canonical)).toEqual(b);
      }),
    );
  });

  it('sorts map keys bytewise whatever the insertion order (RFC 8949 §4.2.1)', () => {
    expect(encode({ b: 1, a: 2, aa: 3 })).toEqual(encode({ aa: 3, a: 2, b: 1 }));
  });

  it('refuses non-canonical encodings', () => {
    // {"b":1,"a":2} with keys out of order
    expect(() => decode(fromHex('a2616201616102'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
    // 1 encoded in two bytes instead of one
    expect(() => decode(fromHex('1801'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
    // indefinite-length array
    expect(() => decode(fromHex('9f01ff'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
    // a float
    expect(() => decode(fromHex('f93e00'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
    // duplicate keys
    expect(() => decode(fromHex('a2616101616102'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
    // trailing bytes
    expect(() => decode(fromHex('0100'))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
  });

  it('refuses values outside the canonical subset when encoding', () => {
    expect(() => encode(1.5)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => encode(2 ** 60)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => encode({ a: undefined } as never)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
  });

  it('fuzz: arbitrary bytes decode or fail with a typed error, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decode(bytes);
        } catch (e) {
          expect(isSalusError(e, 'MALFORMED_ENCODING')).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses oversize input before parsing', () => {
    expect(() => decode(new Uint8Array(100), 10)).toThrowError(expect.objectContaining({ code: 'OVERSIZE' }));
  });
});
