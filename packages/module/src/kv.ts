import { SalusError, decode, encode, utf8ToBytes, type Canonical } from '@salus/core';

/** What modules see of the state: string keys under their own prefix, canonical CBOR values. */
export interface KV {
  get(key: string): unknown;
  has(key: string): boolean;
  /** value must be canonically encodable (checked when encoded) */
  set(key: string, value: unknown): void;
  delete(key: string): void;
  /**
   * Entries whose key starts with `prefix` and sorts after `after`, in key order, at most `limit`.
   * Keys are compared as UTF-8 bytes (as the state store sorts them); callers that iterate keep
   * their keys ASCII so that string order and byte order agree.
   */
  list(prefix: string, o: ListOptions): [string, unknown][];
}

export interface ListOptions {
  readonly after?: string;
  readonly limit: number;
}

export interface RawReader {
  getRaw(key: string): Uint8Array | undefined;
  /** Ordered range read of committed entries; see KV.list. */
  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][];
}

/** UTF-8 byte order of two strings (JavaScript's `<` compares UTF-16 code units, which differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const x = utf8ToBytes(a);
  const y = utf8ToBytes(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const decodeEntries = (entries: [string, Uint8Array][]): [string, unknown][] => entries.map(([k, v]) => [k, decode(v)]);

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

  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][] {
    const mine = [...this.writes.entries()]
      .filter(([k]) => k.startsWith(prefix) && (o.after === undefined || compareKeys(k, o.after) > 0))
      .sort(([a], [b]) => compareKeys(a, b));
    // each of this overlay's writes can hide at most one of the parent's entries: fetch that many more
    const parent = this.parent.listRaw(prefix, { ...(o.after === undefined ? {} : { after: o.after }), limit: o.limit + mine.length });
    const merged = new Map<string, Uint8Array | null>(parent);
    for (const [k, v] of mine) merged.set(k, v);
    return [...merged.entries()]
      .filter((e): e is [string, Uint8Array] => e[1] !== null)
      .sort(([a], [b]) => compareKeys(a, b))
      .slice(0, o.limit);
  }

  list(prefix: string, o: ListOptions): [string, unknown][] {
    return decodeEntries(this.listRaw(prefix, o));
  }

  mergeInto(target: Overlay): void {
    for (const [k, v] of this.writes) target.writes.set(k, v);
  }
}

/**
 * A read-only view of committed state that keeps what it decoded, for read-heavy paths (the
 * records read path looks up the same patient, grants and keys on every request). Valid for one
 * committed height: its owner replaces it at every commit.
 */
export class ReadCache implements KV {
  private readonly values = new Map<string, unknown>();

  constructor(
    private readonly parent: RawReader,
    private readonly entriesMax = 100_000,
  ) {}

  get(key: string): unknown {
    if (this.values.has(key)) return this.values.get(key);
    const raw = this.parent.getRaw(key);
    const value = raw === undefined ? undefined : decode(raw);
    if (this.values.size >= this.entriesMax) this.values.clear();
    this.values.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  list(prefix: string, o: ListOptions): [string, unknown][] {
    return decodeEntries(this.parent.listRaw(prefix, o));
  }

  set(): void {
    throw new SalusError('CORRUPT_DATA', 'invariant failed: a read cache of committed state is not written');
  }

  delete(): void {
    throw new SalusError('CORRUPT_DATA', 'invariant failed: a read cache of committed state is not written');
  }
}
