import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { SalusError, bytesEqual, sha256 } from '@salus/core';
import { type TendermintInput, type Wal, decodeInput, encodeInput, type TendermintOptions } from '@salus/consensus';

/**
 * The consensus write-ahead log on disk (CometBFT's wal.go): every input is appended before the
 * state machine sees it. An entry is `length (u32 BE) | first 4 bytes of SHA-256(body) | body`.
 * A newHeight entry truncates the file: replay starts from the last one. Appends go to the OS at
 * once (they survive the process being killed); `flush` makes them durable against power loss and
 * is called before the signer records a signature, so no signature exists whose cause is lost.
 * A torn last entry (a crash mid-write) is dropped on open; a bad entry before it is CORRUPT_DATA.
 */
export class FileWal implements Wal {
  private readonly fd: number;
  private entries: TendermintInput[];
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly limits: TendermintOptions,
  ) {
    this.fd = openSync(path, 'a+', 0o600);
    this.entries = this.load();
  }

  private load(): TendermintInput[] {
    const size = fstatSync(this.fd).size;
    const buf = new Uint8Array(size);
    let read = 0;
    while (read < size) read += readSync(this.fd, buf, read, size - read, read);
    const out: TendermintInput[] = [];
    let off = 0;
    while (off < size) {
      if (size - off < 8) break;
      const len = new DataView(buf.buffer, off, 4).getUint32(0);
      if (size - off - 8 < len) break;
      const body = buf.subarray(off + 8, off + 8 + len);
      if (!bytesEqual(sha256(body).subarray(0, 4), buf.subarray(off + 4, off + 8))) {
        if (off + 8 + len === size) break; // torn final entry
        throw new SalusError('CORRUPT_DATA', `consensus WAL ${this.path}: entry at byte ${off} fails its checksum`, { object: 'wal' });
      }
      try {
        out.push(decodeInput(body, this.limits));
      } catch (e) {
        throw new SalusError('CORRUPT_DATA', `consensus WAL ${this.path}: entry at byte ${off} does not decode: ${(e as Error).message}`, { object: 'wal' });
      }
      off += 8 + len;
    }
    if (off < size) ftruncateSync(this.fd, off);
    return out;
  }

  append(input: TendermintInput): void {
    const body = encodeInput(input);
    const frame = new Uint8Array(8 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(sha256(body).subarray(0, 4), 4);
    frame.set(body, 8);
    if (input.kind === 'newHeight') {
      ftruncateSync(this.fd, 0);
      this.entries = [];
    }
    writeSync(this.fd, frame);
    this.entries.push(input);
    this.dirty = true;
  }

  flush(): void {
    if (!this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  read(): readonly TendermintInput[] {
    return this.entries;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
