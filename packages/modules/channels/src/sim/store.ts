import { compareKeys, type ListOptions, type Overlay, type RawReader } from '@salus/module';

/**
 * A chain's committed state in the simulation, with every version kept: a relayer's "proof at
 * height H" is answered by what the state held after block H − 1 (the app hash header H carries),
 * which is what a sparse Merkle proof against that header shows.
 */
export class VersionedStore implements RawReader {
  private readonly current = new Map<string, Uint8Array>();
  private readonly history = new Map<string, { version: number; value: Uint8Array | undefined }[]>();

  getRaw(key: string): Uint8Array | undefined {
    return this.current.get(key);
  }

  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][] {
    return [...this.current.entries()]
      .filter(([k]) => k.startsWith(prefix) && (o.after === undefined || compareKeys(k, o.after) > 0))
      .sort(([a], [b]) => compareKeys(a, b))
      .slice(0, o.limit);
  }

  /** Commits a block's writes as version `version`; returns the keys written. */
  commit(block: Overlay, version: number): string[] {
    for (const [k, v] of block.writes) {
      if (v === null) this.current.delete(k);
      else this.current.set(k, v);
      const h = this.history.get(k) ?? [];
      h.push({ version, value: v ?? undefined });
      this.history.set(k, h);
    }
    return [...block.writes.keys()];
  }

  /** The value of `key` after block `version`. */
  valueAt(key: string, version: number): Uint8Array | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    let value: Uint8Array | undefined;
    for (const e of h) {
      if (e.version > version) break;
      value = e.value;
    }
    return value;
  }
}
