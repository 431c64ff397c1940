import { evictOldest } from '@salus/module';

/**
 * Recently read or written current state values (an absent key too), for a storage whose reads
 * each cost a round trip (PostgreSQL): admission reads a transaction's keys and execution reads
 * the same keys again a moment later. Write-through: `StateStore.commit` sets every key it
 * writes, so a hit is always the committed value; cleared when a commit fails. Off (size 0) on
 * the embedded store, whose reads cost microseconds.
 */
export class StateValueCache {
  private readonly values = new Map<string, Uint8Array | null>();

  constructor(private readonly max: number) {}

  get enabled(): boolean {
    return this.max > 0;
  }

  /** the cached value, null for a key known absent, undefined when not cached */
  get(key: Uint8Array): Uint8Array | null | undefined {
    return this.values.get(keyText(key));
  }

  set(key: Uint8Array, value: Uint8Array | undefined): void {
    if (this.values.size >= this.max) evictOldest(this.values, Math.max(1, Math.ceil(this.max / 10)));
    this.values.set(keyText(key), value ?? null);
  }

  clear(): void {
    this.values.clear();
  }
}

function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
