import { SalusError, decode, encode } from '@salus/core';
import { CHANNEL_ID_MAX } from './channels.js';

/**
 * Wire format over the TLS stream: a u32 big-endian length, then that many bytes of canonical CBOR
 * `{ch: <channel 0-255>, m: <bytes>}`. A frame longer than the limit is refused from its header,
 * before its body is read.
 */
export const FRAME_HEADER_BYTES = 4;

export interface Frame {
  readonly ch: number;
  readonly m: Uint8Array;
}

export function encodeFrameBody(ch: number, m: Uint8Array): Uint8Array {
  return encode({ ch, m });
}

export function frameHeader(bodyBytes: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(bodyBytes, 0);
  return h;
}

/** Header and body in one buffer (tests and tools; the link writes the two parts separately). */
export function encodeFrame(ch: number, m: Uint8Array): Buffer {
  const body = encodeFrameBody(ch, m);
  return Buffer.concat([frameHeader(body.length), body]);
}

/** Parses one frame body; throws MALFORMED_ENCODING unless it is exactly the canonical `{ch, m}`. */
export function decodeFrameBody(body: Uint8Array, frameBytesMax: number): Frame {
  const v = decode(body, frameBytesMax);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new SalusError('MALFORMED_ENCODING', 'frame is not a map');
  }
  const r = v as Record<string, unknown>;
  const keys = Object.keys(r);
  if (keys.length !== 2 || !('ch' in r) || !('m' in r)) throw new SalusError('MALFORMED_ENCODING', 'frame must hold exactly ch and m');
  const ch = r.ch;
  const m = r.m;
  if (typeof ch !== 'number' || !Number.isSafeInteger(ch) || ch < 0 || ch > CHANNEL_ID_MAX) throw new SalusError('MALFORMED_ENCODING', 'frame channel out of range');
  if (!(m instanceof Uint8Array)) throw new SalusError('MALFORMED_ENCODING', 'frame message is not bytes');
  // A small message must not pin the whole socket chunk it was cut from.
  const own = m.byteLength * 2 < m.buffer.byteLength ? m.slice() : m;
  return { ch, m: own };
}

/**
 * Reassembles frame bodies from stream chunks. It holds at most one frame being read plus the
 * chunk that completed it; a header announcing more than `frameBytesMax` throws OVERSIZE at once,
 * a zero length throws MALFORMED_ENCODING. After a throw the stream cannot be resynchronised.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;

  constructor(private readonly frameBytesMax: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame body, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    if (this.need < 0) {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined;
      const n = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
      if (n === 0) throw new SalusError('MALFORMED_ENCODING', 'empty frame');
      if (n > this.frameBytesMax) throw new SalusError('OVERSIZE', `frame of ${n} bytes exceeds ${this.frameBytesMax}`, { bytes: n });
      this.need = n;
    }
    if (this.buffered < this.need) return undefined;
    const body = this.take(this.need);
    this.need = -1;
    return body;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}
