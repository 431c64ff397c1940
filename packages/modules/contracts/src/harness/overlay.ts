import type { ContractValue } from '../values.js';

export interface HarnessEvent {
  readonly contract: string;
  readonly type: string;
  readonly attributes: { readonly [key: string]: ContractValue };
}

/** Committed state of every contract in a harness: contract → key → value. */
export type Committed = Map<string, Map<string, ContractValue>>;

/**
 * Buffered writes and events of one call (and one per nested call, over its caller's): what a
 * node's transaction overlay does. `commit` folds them into the parent (or into the committed
 * state at the top); dropping the overlay is how a failed call leaves nothing behind.
 */
export class Overlay {
  private readonly writes = new Map<string, Map<string, ContractValue | null>>();
  readonly events: HarnessEvent[] = [];

  constructor(
    private readonly committed: Committed,
    private readonly parent: Overlay | null = null,
  ) {}

  child(): Overlay {
    return new Overlay(this.committed, this);
  }

  /** This overlay and its ancestors, innermost first. */
  private chain(): Overlay[] {
    const out: Overlay[] = [];
    for (let o: Overlay | null = this as Overlay; o; o = o.parent) out.push(o);
    return out;
  }

  get(contract: string, key: string): ContractValue | undefined {
    for (const o of this.chain()) {
      const w = o.writes.get(contract);
      if (w?.has(key)) {
        const v = w.get(key)!;
        return v === null ? undefined : v;
      }
    }
    return this.committed.get(contract)?.get(key);
  }

  set(contract: string, key: string, value: ContractValue | null): void {
    let w = this.writes.get(contract);
    if (!w) this.writes.set(contract, (w = new Map()));
    w.set(key, value);
  }

  /** Keys under `prefix`, after `after`, ascending, at most `limit`, with this overlay's view of their values. */
  list(contract: string, prefix: string, after: string | undefined, limit: number): [string, ContractValue][] {
    const keys = new Set<string>();
    for (const k of this.committed.get(contract)?.keys() ?? []) keys.add(k);
    for (const o of this.chain()) for (const k of o.writes.get(contract)?.keys() ?? []) keys.add(k);
    const out: [string, ContractValue][] = [];
    for (const k of [...keys].filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort()) {
      const v = this.get(contract, k);
      if (v !== undefined) out.push([k, v]);
      if (out.length === limit) break;
    }
    return out;
  }

  commit(): void {
    for (const [contract, w] of this.writes) {
      for (const [k, v] of w) {
        if (this.parent) this.parent.set(contract, k, v);
        else {
          let m = this.committed.get(contract);
          if (!m) this.committed.set(contract, (m = new Map()));
          if (v === null) m.delete(k);
          else m.set(k, v);
        }
      }
    }
    if (this.parent) this.parent.events.push(...this.events);
  }
}
