import { type SignedTx, SalusError } from '@salus/core';

export interface MempoolOptions {
  readonly txsMax: number;
  readonly bytesMax: number;
}

export interface PendingTx {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly bytes: Uint8Array;
  readonly tx: SignedTx;
}

/**
 * Transactions admitted by checkTx and not yet committed, in arrival order (which keeps each
 * signer's nonces in order). Bounded in count and bytes; a full pool refuses with MEMPOOL_FULL.
 */
export class Mempool {
  private readonly byHash = new Map<string, PendingTx>();
  private bytes = 0;

  constructor(private readonly opts: MempoolOptions) {}

  get size(): number {
    return this.byHash.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  get(hashHex: string): PendingTx | undefined {
    return this.byHash.get(hashHex);
  }

  ensureRoom(bytes: number): void {
    if (this.byHash.size >= this.opts.txsMax || this.bytes + bytes > this.opts.bytesMax) {
      throw new SalusError('MEMPOOL_FULL', `mempool holds ${this.byHash.size} transactions (${this.bytes} bytes); retry later`);
    }
  }

  add(p: PendingTx): void {
    this.ensureRoom(p.bytes.length);
    this.byHash.set(p.hashHex, p);
    this.bytes += p.bytes.length;
  }

  /** Up to `maxTxs` / `maxBytes` transactions in arrival order, for the next proposal. */
  reap(maxTxs: number, maxBytes: number): PendingTx[] {
    const out: PendingTx[] = [];
    let bytes = 0;
    for (const p of this.byHash.values()) {
      if (out.length >= maxTxs || bytes + p.bytes.length > maxBytes) break;
      out.push(p);
      bytes += p.bytes.length;
    }
    return out;
  }

  /** Removes committed transactions; returns the rest, in order, for re-checking. */
  removeCommitted(hashHexes: readonly string[]): PendingTx[] {
    for (const id of hashHexes) {
      const p = this.byHash.get(id);
      if (p) {
        this.byHash.delete(id);
        this.bytes -= p.bytes.length;
      }
    }
    return [...this.byHash.values()];
  }

  remove(hashHex: string): void {
    const p = this.byHash.get(hashHex);
    if (p) {
      this.byHash.delete(hashHex);
      this.bytes -= p.bytes.length;
    }
  }
}
