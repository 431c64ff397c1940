import { hexToBytes as nobleHexToBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { SalusError } from './errors.js';

export { concatBytes, utf8ToBytes };

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
const asciiDecoder = new TextDecoder();

/**
 * Lower-case hex. Written here rather than taken from @noble/hashes because its string building
 * leaves V8 ropes of ~10 bytes of heap per character; hex strings are map keys all over the node
 * (caches, mempool, indexes), and a decoded flat string takes a tenth of that.
 */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[2 * i] = HEX_DIGITS[b >> 4]!;
    out[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return asciiDecoder.decode(out);
}

export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new SalusError('INVALID_FIELD', 'expected an even-length hex string');
  }
  const out = nobleHexToBytes(hex.toLowerCase());
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new SalusError('INVALID_FIELD', `expected ${expectedLength} bytes of hex, got ${out.length}`);
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

export function isBytes(v: unknown, length?: number): v is Uint8Array {
  return v instanceof Uint8Array && (length === undefined || v.length === length);
}
