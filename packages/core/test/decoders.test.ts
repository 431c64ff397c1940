import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type BlockHeader,
  type Canonical,
  type Commit,
  type ErrorCode,
  type SignedTx,
  type TxBody,
  LIMITS,
  SalusError,
  checkTxStateless,
  decode,
  decodeCommit,
  decodeHeader,
  decodeTx,
  encode,
  encodeCommit,
  encodeHeader,
  encodeTx,
  fromHex,
  pureEd25519,
  signTx,
  toHex,
  txHash,
  verifyTxSignature,
} from '../src/index.js';

/**
 * Decoder fuzzing: whatever bytes reach decodeTx, decodeHeader or decodeCommit (from a peer, a
 * client or a damaged disk), the answer is a value or a SalusError with a decoding code, never a
 * TypeError, RangeError or a value that re-encodes to other bytes.
 */

const DECODE_CODES: readonly ErrorCode[] = ['MALFORMED_ENCODING', 'INVALID_FIELD', 'OVERSIZE'];

/** Runs a decoder; returns the value, or undefined after checking that the failure was a typed decoding error. */
function decodesOrRefuses<T>(decoder: (b: Uint8Array) => T, bytes: Uint8Array): T | undefined {
  try {
    return decoder(bytes);
  } catch (e) {
    if (!(e instanceof SalusError) || !DECODE_CODES.includes(e.code)) {
      expect.fail(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${toHex(bytes).slice(0, 200)}`);
    }
    return undefined;
  }
}

// ---- arbitraries for valid values ----

const chainId = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/);
const name = (max: number) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9_]{0,${max - 1}}$`));
const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

const payload: fc.Arbitrary<Canonical> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    text,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value as fc.Arbitrary<Canonical>;

const SECRET = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 32);
const SIGNER = pureEd25519.publicKey(SECRET);

const txBody: fc.Arbitrary<TxBody> = fc.record({
  chainId,
  signer: fc.constant(SIGNER),
  nonce: fc.maxSafeNat(),
  module: name(LIMITS.moduleNameLengthMax),
  type: name(LIMITS.typeNameLengthMax),
  payload,
});

/** Signed transactions with a random (not necessarily valid) signature: enough for decoding. */
const signedTxShape: fc.Arbitrary<SignedTx> = fc.record({
  chainId,
  signer: bytesN(32),
  nonce: fc.maxSafeNat(),
  module: name(LIMITS.moduleNameLengthMax),
  type: name(LIMITS.typeNameLengthMax),
  payload,
  signature: bytesN(64),
});

const header: fc.Arbitrary<BlockHeader> = fc.record({
  chainId,
  height: fc.maxSafeNat(),
  time: fc.maxSafeNat(),
  prevHash: bytesN(32),
  txRoot: bytesN(32),
  txCount: fc.maxSafeNat(),
  appHash: bytesN(32),
  lastResultsHash: bytesN(32),
  validatorsHash: bytesN(32),
  proposer: bytesN(32),
});

const commit: fc.Arbitrary<Commit> = fc.record({
  height: fc.maxSafeNat(),
  round: fc.maxSafeNat(),
  blockHash: bytesN(32),
  signatures: fc.array(fc.record({ validator: bytesN(32), signature: bytesN(64) }), { maxLength: 5 }),
});

// ---- mutations of valid encodings ----

type Mutation =
  | { op: 'flip'; at: number; xor: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; value: number }
  | { op: 'delete'; at: number }
  | { op: 'truncate'; at: number }
  | { op: 'append'; tail: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  // Bytes that are CBOR heads: small ints, length prefixes, maps, arrays, null, true/false, floats, break.
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x17, 0x18, 0x1b, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x80, 0x9f, 0xa0, 0xbf, 0xf4, 0xf6, 0xf7, 0xf9, 0xfb, 0xff) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
);

function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : ('at' in m ? m.at : 0) % b.length;
    switch (m.op) {
      case 'flip':
        if (b.length) b[at] = b[at]! ^ m.xor;
        break;
      case 'set':
        if (b.length) b[at] = m.value;
        break;
      case 'insert':
        b.splice(at, 0, m.value);
        break;
      case 'delete':
        b.splice(at, 1);
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'append':
        b.push(...m.tail);
        break;
    }
  }
  return Uint8Array.from(b);
}

const RUNS = { numRuns: 400 };

/** Maps with the decoder's own keys, each value either well-typed or arbitrary: fuzzes the field checks. */
function fieldFuzz(fields: Record<string, fc.Arbitrary<Canonical>>): fc.Arbitrary<Canonical> {
  // Mostly well-typed values, so that the checks after the first one get reached too.
  const entries = Object.entries(fields).map(
    ([k, good]) => [k, fc.option(fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: payload, weight: 1 }), { nil: undefined, freq: 8 })] as const,
  );
  return fc
    .record(Object.fromEntries(entries) as Record<string, fc.Arbitrary<Canonical | undefined>>, { requiredKeys: [] })
    .chain((o) => fc.option(fc.tuple(text, payload), { nil: undefined, freq: 3 }).map((extra) => {
      const out: Record<string, Canonical> = {};
      for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
      // defineProperty, not assignment: an extra key "__proto__" must be an own field, not a new prototype
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
      return out;
    }));
}

describe('decodeTx', () => {
  it('encode ∘ decode is the identity on valid transactions, and decode ∘ encode too', () => {
    fc.assert(
      fc.property(signedTxShape, (tx) => {
        const bytes = encodeTx(tx);
        const back = decodeTx(bytes);
        expect(back).toEqual(tx);
        expect(toHex(encodeTx(back))).toBe(toHex(bytes));
      }),
      RUNS,
    );
  });

  it('arbitrary bytes: a value or a typed decoding error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodesOrRefuses(decodeTx, b)), { numRuns: 2000 });
  });

  it('arbitrary canonical values and maps of the right keys with wrong values: a value or a typed error', () => {
    const fields = fieldFuzz({
      chainId: chainId as fc.Arbitrary<Canonical>,
      signer: bytesN(32),
      nonce: fc.maxSafeNat(),
      module: name(32) as fc.Arbitrary<Canonical>,
      type: name(48) as fc.Arbitrary<Canonical>,
      payload,
      signature: bytesN(64),
    });
    fc.assert(
      fc.property(fc.oneof(payload, fields), (v) => {
        const b = encode(v);
        const tx = decodesOrRefuses(decodeTx, b);
        if (tx) expect(toHex(encodeTx(tx))).toBe(toHex(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid encodings: a value that re-encodes to the same bytes, or a typed decoding error', () => {
    fc.assert(
      fc.property(signedTxShape, fc.array(mutation, { minLength: 1, maxLength: 3 }), (tx, ms) => {
        const b = mutate(encodeTx(tx), ms);
        const back = decodesOrRefuses(decodeTx, b);
        if (back) expect(toHex(encodeTx(back))).toBe(toHex(b));
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses an oversize transaction before decoding it', () => {
    const big = new Uint8Array(LIMITS.txBytesMax + 1);
    expect(() => decodeTx(big)).toThrowError(expect.objectContaining({ code: 'OVERSIZE' }));
  });

  it('refuses a payload nested deeper than the limit, a missing payload and unknown fields', () => {
    const base = { chainId: 'salus-test', signer: SIGNER, nonce: 0, module: 'm', type: 't', signature: new Uint8Array(64) };
    let deep: Canonical = 1;
    for (let i = 0; i <= LIMITS.payloadDepthMax; i++) deep = [deep];
    expect(() => decodeTx(encode({ ...base, payload: deep }))).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => decodeTx(encode(base))).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(() => decodeTx(encode({ ...base, payload: null, fee: 1 }))).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(decodeTx(encode({ ...base, payload: null })).payload).toBe(null);
  });
});

describe('signed transactions and checkTxStateless', () => {
  it('property: signTx then encode, decode and verify round-trips; the hash is SHA-256 of the bytes', () => {
    fc.assert(
      fc.property(txBody, (body) => {
        const tx = signTx(pureEd25519, SECRET, body);
        expect(verifyTxSignature(pureEd25519, tx)).toBe(true);
        const bytes = encodeTx(tx);
        const { tx: checked, hash } = checkTxStateless(pureEd25519, bytes, body.chainId);
        expect(checked).toEqual(tx);
        expect(toHex(hash)).toBe(toHex(txHash(bytes)));
      }),
      { numRuns: 80 },
    );
  });

  it('property: a transaction for another chain is WRONG_CHAIN', () => {
    fc.assert(
      fc.property(txBody, chainId, (body, other) => {
        fc.pre(other !== body.chainId);
        const bytes = encodeTx(signTx(pureEd25519, SECRET, body));
        expect(() => checkTxStateless(pureEd25519, bytes, other)).toThrowError(expect.objectContaining({ code: 'WRONG_CHAIN' }));
      }),
      { numRuns: 40 },
    );
  });

  it('property: a bad signature, another signer, or a changed field signed by nobody is BAD_SIGNATURE', () => {
    const change = fc.oneof(
      fc.record({ kind: fc.constant('signature' as const), at: fc.nat({ max: 63 }), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('signer' as const), key: bytesN(32) }),
      fc.record({ kind: fc.constant('nonce' as const), to: fc.maxSafeNat() }),
      fc.record({ kind: fc.constant('payload' as const), to: payload }),
    );
    fc.assert(
      fc.property(txBody, change, (body, c) => {
        const tx = signTx(pureEd25519, SECRET, body);
        let bad: SignedTx;
        switch (c.kind) {
          case 'signature': {
            const sig = tx.signature.slice();
            sig[c.at]! ^= c.xor;
            bad = { ...tx, signature: sig };
            break;
          }
          case 'signer':
            fc.pre(toHex(c.key) !== toHex(SIGNER));
            bad = { ...tx, signer: c.key };
            break;
          case 'nonce':
            fc.pre(c.to !== tx.nonce);
            bad = { ...tx, nonce: c.to };
            break;
          case 'payload':
            fc.pre(toHex(encode(c.to)) !== toHex(encode(tx.payload)));
            bad = { ...tx, payload: c.to };
            break;
        }
        expect(() => checkTxStateless(pureEd25519, encodeTx(bad), body.chainId)).toThrowError(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
      }),
      { numRuns: 80 },
    );
  });

  it('property: any mutation of a signed transaction\'s bytes is refused with a typed error, never accepted', () => {
    const codes: readonly ErrorCode[] = [...DECODE_CODES, 'WRONG_CHAIN', 'BAD_SIGNATURE'];
    fc.assert(
      fc.property(txBody, fc.array(mutation, { minLength: 1, maxLength: 2 }), (body, ms) => {
        const bytes = encodeTx(signTx(pureEd25519, SECRET, body));
        const b = mutate(bytes, ms);
        fc.pre(toHex(b) !== toHex(bytes));
        let err: unknown;
        try {
          checkTxStateless(pureEd25519, b, body.chainId);
        } catch (e) {
          err = e;
        }
        expect(err instanceof SalusError && codes.includes(err.code), String(err)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('signTx refuses an invalid body with INVALID_FIELD', () => {
    const body: TxBody = { chainId: 'salus-test', signer: SIGNER, nonce: 0, module: 'records', type: 'grant', payload: null };
    for (const bad of [
      { ...body, chainId: 'Salus' },
      { ...body, signer: SIGNER.subarray(0, 31) },
      { ...body, nonce: -1 },
      { ...body, nonce: 1.5 },
      { ...body, module: 'Records' },
      { ...body, type: '' },
      { ...body, type: 'x'.repeat(LIMITS.typeNameLengthMax + 1) },
    ]) {
      expect(() => signTx(pureEd25519, SECRET, bad)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    }
  });
});

describe('decodeHeader', () => {
  it('encode ∘ decode is the identity on valid headers', () => {
    fc.assert(
      fc.property(header, (h) => {
        const b = encodeHeader(h);
        const back = decodeHeader(b);
        expect(back).toEqual(h);
        expect(toHex(encodeHeader(back))).toBe(toHex(b));
      }),
      RUNS,
    );
  });

  it('arbitrary bytes: a value or a typed decoding error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void decodesOrRefuses(decodeHeader, b)), { numRuns: 2000 });
  });

  it('maps of the right keys with wrong values: a value that re-encodes to the same bytes, or a typed error', () => {
    const fields = fieldFuzz({
      chainId: chainId as fc.Arbitrary<Canonical>,
      height: fc.maxSafeNat(),
      time: fc.maxSafeNat(),
      prevHash: bytesN(32),
      txRoot: bytesN(32),
      txCount: fc.maxSafeNat(),
      appHash: bytesN(32),
      lastResultsHash: bytesN(32),
      validatorsHash: bytesN(32),
      proposer: bytesN(32),
    });
    fc.assert(
      fc.property(fields, (v) => {
        const b = encode(v);
        const h = decodesOrRefuses(decodeHeader, b);
        if (h) expect(toHex(encodeHeader(h))).toBe(toHex(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid encodings: a value that re-encodes to the same bytes, or a typed decoding error', () => {
    fc.assert(
      fc.property(header, fc.array(mutation, { minLength: 1, maxLength: 3 }), (h, ms) => {
        const b = mutate(encodeHeader(h), ms);
        const back = decodesOrRefuses(decodeHeader, b);
        if (back) expect(toHex(encodeHeader(back))).toBe(toHex(b));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('decodeCommit', () => {
  it('encode ∘ decode is the identity on valid commits', () => {
    fc.assert(
      fc.property(commit, (c) => {
        const b = encodeCommit(c);
        const back = decodeCommit(b);
        expect(back).toEqual(c);
        expect(toHex(encodeCommit(back))).toBe(toHex(b));
      }),
      RUNS,
    );
  });

  it('arbitrary bytes: a value or a typed decoding error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void decodesOrRefuses(decodeCommit, b)), { numRuns: 2000 });
  });

  it('maps of the right keys with wrong values: a value that re-encodes to the same bytes, or a typed error', () => {
    const sig = fieldFuzz({ validator: bytesN(32), signature: bytesN(64) });
    const fields = fieldFuzz({
      height: fc.maxSafeNat(),
      round: fc.maxSafeNat(),
      blockHash: bytesN(32),
      signatures: fc.array(fc.oneof(sig, payload), { maxLength: 3 }) as fc.Arbitrary<Canonical>,
    });
    fc.assert(
      fc.property(fields, (v) => {
        const b = encode(v);
        const c = decodesOrRefuses(decodeCommit, b);
        if (c) expect(toHex(encodeCommit(c))).toBe(toHex(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid encodings: a value that re-encodes to the same bytes, or a typed decoding error', () => {
    fc.assert(
      fc.property(commit, fc.array(mutation, { minLength: 1, maxLength: 3 }), (c, ms) => {
        const b = mutate(encodeCommit(c), ms);
        const back = decodesOrRefuses(decodeCommit, b);
        if (back) expect(toHex(encodeCommit(back))).toBe(toHex(b));
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses unknown fields in a commit signature (one commit, one encoding)', () => {
    const c = { height: 1, round: 0, blockHash: new Uint8Array(32), signatures: [{ validator: new Uint8Array(32), signature: new Uint8Array(64), note: 'x' }] };
    expect(() => decodeCommit(encode(c))).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
  });
});

describe('canonical strings', () => {
  it('a lone surrogate has no canonical encoding: refused with INVALID_FIELD rather than written as U+FFFD', () => {
    for (const s of ['\uD800', 'a\uDC00b', '\uDBFF\uDBFF\uDC00', 'x\uD83D']) {
      expect(() => encode(s), JSON.stringify(s)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
      expect(() => encode({ [s]: 1 }), `key ${JSON.stringify(s)}`).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    }
    // Surrogate pairs are fine, and U+FFFD itself round-trips.
    for (const s of ['\uD83D\uDE00', '\uFFFD', 'héllo']) expect(decode(encode(s))).toBe(s);
  });

  it('property: every string value encodes to bytes that decode to the same string, or is refused', () => {
    fc.assert(
      // UTF-16 code units, so lone surrogates turn up as well as pairs.
      fc.property(fc.string({ unit: fc.nat({ max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }), (s) => {
        let b: Uint8Array;
        try {
          b = encode({ s });
        } catch (e) {
          expect(e instanceof SalusError && e.code === 'INVALID_FIELD').toBe(true);
          return;
        }
        expect(decode(b)).toEqual({ s });
      }),
      { numRuns: 300 },
    );
  });
});
