import { SalusError, decode, encode, utf8ToBytes, type Canonical } from '@salus/core';

/** What modules see of the state: string keys under their own prefix, canonical CBOR values. */
export interface KV {
  get(key: string): unknown;
  has(key: string): boolean;
  /** value must be canonically encodable (checked when encoded) */
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface RawReader {
  getRaw(key: string): Uint8Array | undefined;
}

/**
 * A write buffer over a reader. Transactions run on a child overlay that is merged into the block's
 * overlay only when the transaction succeeds, so a failed transaction writes nothing.
 */
export class Overlay implements KV, RawReader {
  readonly writes = new Map<string, Uint8Array | null>();

  constructor(private readonly parent: RawReader) {}

  getRaw(key: string): Uint8Array | undefined {
    const w = this.writes.get(key);
    if (w === null) return undefined;
    if (w !== undefined) return w;
    return this.parent.getRaw(key);
  }

  get(key: string): unknown {
    const raw = this.getRaw(key);
    return raw === undefined ? undefined : decode(raw);
  }

  has(key: string): boolean {
    return this.getRaw(key) !== undefined;
  }

  set(key: string, value: unknown): void {
    if (utf8ToBytes(key).length > 256) throw new SalusError('INVALID_FIELD', 'state key too long');
    this.writes.set(key, encode(value as Canonical));
  }

  delete(key: string): void {
    this.writes.set(key, null);
  }

  mergeInto(target: Overlay): void {
    for (const [k, v] of this.writes) target.writes.set(k, v);
  }
}
