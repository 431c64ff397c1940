// Files of pre-signed transactions: u16 big-endian length-prefixed records, one after another.
import { closeSync, openSync, readSync } from 'node:fs';

/** The records of `txs`, as one buffer. */
export function encodeTxRecords(txs: readonly Uint8Array[]): Buffer {
  const size = txs.reduce((s, t) => s + 2 + t.length, 0);
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const t of txs) {
    buf.writeUInt16BE(t.length, off);
    buf.set(t, off + 2);
    off += 2 + t.length;
  }
  return buf;
}

/** Reads a file of records in chunks; yields arrays of transactions of at most `count`. */
export function* readTxFile(file: string, count: number): Generator<Uint8Array[]> {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  let have = 0;
  let pos = 0;
  let batch: Uint8Array[] = [];
  for (;;) {
    const n = readSync(fd, buf, have, buf.length - have, pos);
    pos += n;
    have += n;
    let off = 0;
    while (have - off >= 2) {
      const len = buf.readUInt16BE(off);
      if (have - off < 2 + len) break;
      batch.push(new Uint8Array(buf.subarray(off + 2, off + 2 + len))); // a copy: the node keeps it in its mempool
      off += 2 + len;
      if (batch.length === count) {
        yield batch;
        batch = [];
      }
    }
    buf.copy(buf, 0, off, have);
    have -= off;
    if (n === 0) break;
  }
  closeSync(fd);
  if (batch.length > 0) yield batch;
}
