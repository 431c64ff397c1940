import { encodeCommit } from '@salus/core';
import { shortHash } from './blocks.js';
import type { Packet } from './network.js';
import type { NodeChain } from './nodechain.js';
import type { SimWorld } from './world.js';

/** What block sync needs of its node. */
export interface SyncHost {
  readonly id: number;
  readonly chain: NodeChain;
  readonly honest: boolean;
  readonly stats: { synced: number };
  /** a silent Byzantine node serves nothing */
  silent(): boolean;
  log(what: string): void;
  /** after a block was stored: start the next height if the machine is not past it */
  advanced(): void;
}

/**
 * The simulated driver's block sync: a node that hears of a higher committed height asks that peer
 * for the next block (at most every syncRetryMs), answers such requests from its own blocks, and
 * stores a block a peer sends only if the chain accepts it (`NodeChain.checkSynced`: the next
 * height, and a commit that verifies) — so a lying peer can delay a node, never mislead it.
 */
export class SimSyncer {
  private lastRequestAt = -Infinity;

  constructor(
    private readonly w: SimWorld,
    private readonly host: SyncHost,
  ) {}

  /** A peer's packet says it committed `committed`. */
  heard(from: number, committed: number): void {
    if (committed > this.host.chain.lastHeight()) this.request(from, false);
  }

  request(from: number, now: boolean): void {
    if (!now && this.w.sched.now - this.lastRequestAt < this.w.options.syncRetryMs) return;
    this.lastRequestAt = this.w.sched.now;
    this.w.net.send(this.host.id, from, { kind: 'syncRequest', height: this.host.chain.lastHeight() + 1 });
  }

  serve(from: number, height: number): void {
    const b = this.host.chain.stored(height);
    if (b && !this.host.silent()) {
      this.w.net.send(this.host.id, from, { kind: 'syncResponse', height, block: b.block, commit: encodeCommit(b.commit), committed: this.host.chain.lastHeight() });
    }
  }

  apply(from: number, p: Extract<Packet, { kind: 'syncResponse' }>): void {
    const { chain } = this.host;
    const res = chain.checkSynced(p);
    if ('refused' in res) {
      if (p.height === chain.lastHeight() + 1) this.host.log(`sync of ${p.height} from n${from} refused: ${res.refused}`);
      return;
    }
    this.host.stats.synced++;
    this.host.log(`synced ${p.height} ${shortHash(res.commit.blockHash)} from n${from}`);
    chain.store(this.host.id, p.height, p.block, res.commit.blockHash, res.commit, this.host.honest);
    this.host.advanced();
    if (p.committed > chain.lastHeight()) this.request(from, true);
  }
}
