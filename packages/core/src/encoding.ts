import { encode as cborEncode, decode as cborDecode, rfc8949EncodeOptions } from 'cborg';
import { SalusError } from './errors.js';
import { bytesEqual } from './bytes.js';

/**
 * Canonical bytes: deterministic CBOR per RFC 8949 §4.2.1 (shortest forms, definite lengths,
 * map keys sorted bytewise). Floats and undefined are refused so that every value has exactly one
 * encoding; integers must be safe JavaScript integers.
 */
export type Canonical =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Canonical[]
  | { readonly [key: string]: Canonical };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const encodeOptions = {
  ...rfc8949EncodeOptions,
  float64: true,
  typeEncoders: {
    number: (n: number) => {
      if (!Number.isSafeInteger(n)) throw new SalusError('INVALID_FIELD', `only safe integers are encodable, got ${n}`);
      return null;
    },
    string: (s: string) => {
      // A lone surrogate has no UTF-8 form: the encoder would write U+FFFD, so two values would share one encoding.
      if (LONE_SURROGATE.test(s)) throw new SalusError('INVALID_FIELD', 'strings must be well-formed Unicode (no lone surrogates)');
      return null;
    },
    undefined: () => {
      throw new SalusError('INVALID_FIELD', 'undefined is not encodable');
    },
  },
};

const decodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  useMaps: false,
};

export function encode(value: Canonical): Uint8Array {
  try {
    return cborEncode(value, encodeOptions);
  } catch (e) {
    if (e instanceof SalusError) throw e;
    throw new SalusError('INVALID_FIELD', `value is not canonically encodable: ${(e as Error).message}`);
  }
}

/** Decodes canonical CBOR and refuses any input that is not the one canonical encoding of its value. */
export function decode(bytes: Uint8Array, maxBytes = 4 * 1024 * 1024): unknown {
  if (!(bytes instanceof Uint8Array)) throw new SalusError('MALFORMED_ENCODING', 'expected bytes');
  if (bytes.length > maxBytes) throw new SalusError('OVERSIZE', `encoding of ${bytes.length} bytes exceeds ${maxBytes}`);
  let value: unknown;
  try {
    value = cborDecode(bytes, decodeOptions);
  } catch (e) {
    throw new SalusError('MALFORMED_ENCODING', `invalid CBOR: ${(e as Error).message}`);
  }
  let again: Uint8Array;
  try {
    again = encode(value as Canonical);
  } catch {
    throw new SalusError('MALFORMED_ENCODING', 'CBOR holds a value outside the canonical subset');
  }
  if (!bytesEqual(again, bytes)) throw new SalusError('MALFORMED_ENCODING', 'CBOR is not in canonical form');
  return value;
}
