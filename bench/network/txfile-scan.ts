// A first pass over the network benchmark's transaction file: where each load client's slice
// starts, the transactions' sizes, and the first 2000 transactions (the ceiling's samples).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fail } from '../lib/cli.js';

export interface TxFileScan {
  /** byte offsets: slice c is [offsets[c], offsets[c + 1]) */
  offsets: number[];
  /** sizes of the first 20,000 transactions */
  sizes: number[];
  samplesTxs: Uint8Array[];
}

/** Record offsets of the client slices (u16 length-prefixed records), the sizes, and the first 2000 transactions. */
export function scanTxFile(file: string, n: number, parts: number): TxFileScan {
  const fd = openSync(file, 'r');
  const total = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  const per = Math.ceil(n / parts);
  const offsets = [0];
  const sizes: number[] = [];
  const samplesTxs: Uint8Array[] = [];
  let filePos = 0;
  let have = 0;
  let off = 0;
  let idx = 0;
  let consumed = 0; // file offset of buf[0]
  for (;;) {
    buf.copy(buf, 0, off, have);
    consumed += off;
    have -= off;
    off = 0;
    const r = readSync(fd, buf, have, buf.length - have, filePos);
    filePos += r;
    have += r;
    while (have - off >= 2 && have - off >= 2 + buf.readUInt16BE(off)) {
      const len = buf.readUInt16BE(off);
      if (sizes.length < 20_000) sizes.push(len);
      if (samplesTxs.length < 2000) samplesTxs.push(new Uint8Array(buf.subarray(off + 2, off + 2 + len)));
      off += 2 + len;
      idx++;
      if (idx % per === 0 && idx < n) offsets.push(consumed + off);
    }
    if (r === 0) break;
  }
  closeSync(fd);
  if (idx !== n) fail(`transaction file holds ${idx} records, expected ${n}`);
  while (offsets.length < parts) offsets.push(total);
  offsets.push(total);
  return { offsets, sizes, samplesTxs };
}
