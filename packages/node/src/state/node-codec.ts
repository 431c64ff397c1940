import { SalusError, type SmtNode } from '@salus/core';

/**
 * Binary layout of state-tree nodes on disk (fixed offsets, no framing library needed):
 *   inner: 0x01 | left(32) | right(32)
 *   leaf:  0x00 | path(32) | valueHash(32) | keyLength(u16 BE) | key | value
 */
export function encodeNode(n: SmtNode): Uint8Array {
  if (n.kind === 'inner') {
    const out = new Uint8Array(65);
    out[0] = 1;
    out.set(n.left, 1);
    out.set(n.right, 33);
    return out;
  }
  const out = new Uint8Array(67 + n.key.length + n.value.length);
  out[0] = 0;
  out.set(n.path, 1);
  out.set(n.valueHash, 33);
  out[65] = n.key.length >> 8;
  out[66] = n.key.length & 0xff;
  out.set(n.key, 67);
  out.set(n.value, 67 + n.key.length);
  return out;
}

export function decodeNode(b: Uint8Array): SmtNode {
  if (b[0] === 1 && b.length === 65) return { kind: 'inner', left: b.subarray(1, 33), right: b.subarray(33, 65) };
  if (b[0] === 0 && b.length >= 67) {
    const kl = (b[65]! << 8) | b[66]!;
    if (67 + kl <= b.length) {
      return { kind: 'leaf', path: b.subarray(1, 33), valueHash: b.subarray(33, 65), key: b.subarray(67, 67 + kl), value: b.subarray(67 + kl) };
    }
  }
  throw new SalusError('CORRUPT_DATA', 'a stored state-tree node is malformed');
}
