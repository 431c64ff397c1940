import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/** What nodes send each other in the simulator. */
export type Packet =
  /** consensus messages (canonical bytes) and the sender's last committed height */
  | { readonly kind: 'msgs'; readonly committed: number; readonly msgs: readonly Uint8Array[] }
  | { readonly kind: 'syncRequest'; readonly height: number }
  /** block sync: a committed block with its commit (core encoding), and the sender's last committed height */
  | { readonly kind: 'syncResponse'; readonly height: number; readonly block: Uint8Array; readonly commit: Uint8Array; readonly committed: number };

export interface NetworkOptions {
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** probability that a packet is lost */
  readonly dropRate: number;
  /** probability that a packet is delivered twice (with independent delays, so possibly reordered) */
  readonly duplicateRate: number;
}

export const defaultNetworkOptions: NetworkOptions = { delayMinMs: 1, delayMaxMs: 20, dropRate: 0, duplicateRate: 0 };

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  partitioned: number;
}

/**
 * A simulated network: every packet gets a random delay in [delayMin, delayMax] (so packets are
 * reordered), may be dropped or duplicated, and is lost if a partition separates the two ends at
 * sending or at delivery time. Delivery to a node that is down is the receiver's business.
 */
export class SimNetwork {
  private group: number[] = [];
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, partitioned: 0 };

  constructor(
    private readonly sched: Scheduler,
    private readonly prng: Prng,
    public options: NetworkOptions,
    private readonly deliver: (to: number, from: number, packet: Packet) => void,
  ) {}

  /** Splits the nodes into groups; nodes in different groups cannot reach each other. */
  partition(groups: readonly (readonly number[])[]): void {
    this.group = [];
    groups.forEach((g, gi) => g.forEach((n) => (this.group[n] = gi)));
  }

  heal(): void {
    this.group = [];
  }

  get partitioned(): boolean {
    return this.group.length > 0;
  }

  private connected(a: number, b: number): boolean {
    return (this.group[a] ?? 0) === (this.group[b] ?? 0);
  }

  send(from: number, to: number, packet: Packet): void {
    this.stats.sent++;
    if (!this.connected(from, to)) {
      this.stats.partitioned++;
      return;
    }
    if (this.prng.chance(this.options.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.prng.chance(this.options.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const delay = this.prng.range(this.options.delayMinMs, this.options.delayMaxMs);
      this.sched.after(delay, () => {
        if (!this.connected(from, to)) {
          this.stats.partitioned++;
          return;
        }
        this.stats.delivered++;
        this.deliver(to, from, packet);
      });
    }
  }
}
