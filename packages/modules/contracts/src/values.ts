import { contractError } from './errors.js';
import { CONTRACT_LIMITS } from './limits.js';

/**
 * What crosses the contract boundary: JSON without floats. Safe integers only, so that no float
 * reaches state and every value has one canonical CBOR encoding (see core's `encode`).
 */
export type ContractValue = null | boolean | number | string | readonly ContractValue[] | { readonly [key: string]: ContractValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const KEY = /^[\x20-\x7e]+$/;

/** The first reason `v` is not a contract value, or '' when it is. */
export function valueProblem(v: unknown, depth = 0): string {
  switch (typeof v) {
    case 'boolean':
      return '';
    case 'string':
      return LONE_SURROGATE.test(v) ? 'strings must be well-formed Unicode' : '';
    case 'number':
      return Number.isSafeInteger(v) ? '' : `the number ${v} is not a safe integer`;
    case 'object': {
      if (v === null) return '';
      if (depth >= CONTRACT_LIMITS.valueDepth) return `values nest at most ${CONTRACT_LIMITS.valueDepth} deep`;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) return 'arrays must not have holes';
          const p = valueProblem(v[i], depth + 1);
          if (p) return p;
        }
        return '';
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return 'only plain objects are values';
      for (const k of Object.keys(v)) {
        if (LONE_SURROGATE.test(k)) return 'keys must be well-formed Unicode';
        const p = valueProblem((v as Record<string, unknown>)[k], depth + 1);
        if (p) return p;
      }
      return '';
    }
    default:
      return `${typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`} is not a value`;
  }
}

/** UTF-8 length without allocating (the limits are in bytes, strings are UTF-16). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above, and a surrogate pair (two units) 4
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** Checks a value and returns its JSON, refusing it with CONTRACT_VALUE (naming `what`) if it is not a bounded contract value. */
export function valueToJson(v: unknown, what: string, maxBytes: number): string {
  const p = valueProblem(v);
  if (p) throw contractError('CONTRACT_VALUE', `${what}: ${p}`, { what });
  const json = JSON.stringify(v);
  if (utf8Length(json) > maxBytes) throw contractError('CONTRACT_VALUE', `${what} is larger than ${maxBytes} bytes`, { what, maxBytes });
  return json;
}

/** Parses JSON that claims to be a contract value (from the sandbox) and checks it again: the host trusts nothing the contract built. */
export function jsonToValue(json: string, what: string, maxBytes: number): ContractValue {
  if (utf8Length(json) > maxBytes) throw contractError('CONTRACT_VALUE', `${what} is larger than ${maxBytes} bytes`, { what, maxBytes });
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw contractError('CONTRACT_VALUE', `${what} is not JSON`, { what });
  }
  const p = valueProblem(v);
  if (p) throw contractError('CONTRACT_VALUE', `${what}: ${p}`, { what });
  return v as ContractValue;
}

/** State keys: 1-256 printable ASCII characters, so byte order, code-unit order and code-point order agree. */
export function checkKey(key: unknown, what = 'key'): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > CONTRACT_LIMITS.keyBytes || !KEY.test(key)) {
    throw contractError('CONTRACT_VALUE', `${what} must be 1-${CONTRACT_LIMITS.keyBytes} printable ASCII characters`, { what });
  }
  return key;
}
