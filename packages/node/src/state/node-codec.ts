import { SalusError, type SmtNode } from '@salus/core';

/**
 * Binary layout of state-tree nodes on disk (fixed offsets, no framing library needed). Nodes are
 * addressed by reference (an integer, see StateStore), so an inner node records where its children
 * are and whether each is a leaf:
 *   inner: 0x02 | flags (bit 0: left is a leaf, bit 1: right is) | left(32) | right(32) | leftRef(u64 BE) | rightRef(u64 BE)
 *   leaf:  0x00 | path(32) | valueHash(32) | keyLength(u16 BE) | key | value
 */
const INNER = 2;
const INNER_SIZE = 82;

/** The node's bytes, in a Buffer from Node's small-allocation pool (SQLite copies what it binds). */
export function encodeNode(n: SmtNode): Buffer {
  if (n.kind === 'inner') {
    if (n.leftRef === undefined || n.rightRef === undefined) throw new SalusError('CORRUPT_DATA', 'an inner state-tree node to store lacks its children\'s references');
    const out = Buffer.allocUnsafe(INNER_SIZE);
    out[0] = INNER;
    out[1] = (n.leftLeaf ? 1 : 0) | (n.rightLeaf ? 2 : 0);
    out.set(n.left, 2);
    out.set(n.right, 34);
    out.writeUInt32BE(Math.floor(n.leftRef / 2 ** 32), 66);
    out.writeUInt32BE(n.leftRef >>> 0, 70);
    out.writeUInt32BE(Math.floor(n.rightRef / 2 ** 32), 74);
    out.writeUInt32BE(n.rightRef >>> 0, 78);
    return out;
  }
  const out = Buffer.allocUnsafe(67 + n.key.length + n.value.length);
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
  if (b[0] === INNER && b.length === INNER_SIZE && b[1]! < 4) {
    return {
      kind: 'inner',
      left: b.subarray(2, 34),
      right: b.subarray(34, 66),
      leftRef: refAt(b, 66),
      rightRef: refAt(b, 74),
      leftLeaf: (b[1]! & 1) === 1,
      rightLeaf: (b[1]! & 2) === 2,
    };
  }
  if (b[0] === 0 && b.length >= 67) {
    const kl = (b[65]! << 8) | b[66]!;
    if (67 + kl <= b.length) {
      return { kind: 'leaf', path: b.subarray(1, 33), valueHash: b.subarray(33, 65), key: b.subarray(67, 67 + kl), value: b.subarray(67 + kl) };
    }
  }
  throw new SalusError('CORRUPT_DATA', 'a stored state-tree node is malformed');
}

function writeRef(v: DataView, at: number, ref: number): void {
  v.setUint32(at, Math.floor(ref / 2 ** 32));
  v.setUint32(at + 4, ref >>> 0);
}

function refAt(b: Uint8Array, at: number): number {
  const hi = b[at]! * 2 ** 24 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
  const lo = b[at + 4]! * 2 ** 24 + ((b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!);
  return hi * 2 ** 32 + lo;
}

function readRef(v: DataView, at: number): number {
  return v.getUint32(at) * 2 ** 32 + v.getUint32(at + 4);
}

/** Node references of a version packed as u64 BE, one row per version (the stale list). */
export function packRefs(refs: readonly number[]): Uint8Array {
  const out = new Uint8Array(refs.length * 8);
  const v = new DataView(out.buffer);
  refs.forEach((r, i) => writeRef(v, i * 8, r));
  return out;
}

export function unpackRefs(b: Uint8Array): number[] {
  if (b.length % 8 !== 0) throw new SalusError('CORRUPT_DATA', 'a stored list of state-tree references is malformed');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let at = 0; at < b.length; at += 8) out.push(readRef(v, at));
  return out;
}
