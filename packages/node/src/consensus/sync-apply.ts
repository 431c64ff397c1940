import type { Logger } from 'pino';
import { type Block, SalusError, decodeBlock, decodeCommit } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { Buffered, SyncSchedule } from './sync-schedule.js';
import { isStorageFailure } from '../storage/failure.js';

/** Blocks after the tip whose transaction signatures are checked ahead of their commit. */
const CHECKED_AHEAD_BLOCKS = 4;

export interface SyncApplierDeps {
  readonly chain: Chain;
  readonly schedule: SyncSchedule;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bytesMax: number;
  /** a turn commits blocks until this much time is spent (at least one) */
  readonly budgetMs: number;
  /** runs `fn` in a later event-loop turn */
  readonly defer: (fn: () => void) => void;
  /** the transaction signatures of a block, checked off the event loop (`TxSignatureChecker`); undefined: not checked */
  readonly checkSignatures: (block: Block) => Promise<boolean[] | undefined>;
  /** a block from `peer` did not verify */
  readonly misbehaved: (peer: string, reason: string) => void;
  /** a turn committed `blocks` blocks */
  readonly committed: (blocks: number) => void;
  /** the node cannot go on (its storage failed): it stops */
  readonly fatal: (e: unknown) => void;
}

interface Check {
  /** undefined: it does not decode (its commit fails and its sender is penalised) */
  readonly block: Block | undefined;
  verdicts: boolean[] | undefined;
  done: boolean;
}

/**
 * Commits synced blocks strictly in height order without holding the event loop: one turn
 * (setImmediate) commits the blocks that follow the tip until `budgetMs` is spent, then yields to
 * the API, p2p and consensus. The next blocks are decoded and their transactions' signatures
 * checked ahead on a thread of their own while the current one commits; the Chain still checks each
 * block against the tip and its commit against the validator set of its height.
 */
export class SyncApplier {
  private readonly checks = new WeakMap<Buffered, Check>();
  private scheduled = false;
  private running = true;

  constructor(private readonly deps: SyncApplierDeps) {}

  stop(): void {
    this.running = false;
  }

  /** New blocks may be here: start their checks, and a turn if the next one is ready. */
  kick(): void {
    if (!this.running) return;
    const tip = this.deps.chain.lastHeight();
    for (let h = tip + 1; h <= tip + CHECKED_AHEAD_BLOCKS; h++) {
      const item = this.deps.schedule.peek(h);
      if (item && !this.checks.has(item)) this.startCheck(item);
    }
    if (this.scheduled || !this.nextReady()) return;
    this.scheduled = true;
    this.deps.defer(() => this.turn());
  }

  private startCheck(item: Buffered): void {
    let block: Block;
    try {
      block = decodeBlock(item.block, this.deps.bytesMax);
    } catch {
      this.checks.set(item, { block: undefined, verdicts: undefined, done: true });
      return;
    }
    const check: Check = { block, verdicts: undefined, done: false };
    this.checks.set(item, check);
    void this.deps.checkSignatures(block).then((verdicts) => {
      check.verdicts = verdicts;
      check.done = true;
      this.kick();
    });
  }

  private nextReady(): boolean {
    const item = this.deps.schedule.peek(this.deps.chain.lastHeight() + 1);
    return item !== undefined && this.checks.get(item)?.done === true;
  }

  private turn(): void {
    this.scheduled = false;
    if (!this.running) return;
    const { chain, clock, schedule } = this.deps;
    const start = clock.now();
    let committed = 0;
    while (this.nextReady()) {
      const item = schedule.take(chain.lastHeight())!;
      if (!this.commit(item, this.checks.get(item)!)) break;
      committed++;
      if (clock.now() - start >= this.deps.budgetMs) break;
    }
    if (committed > 0) this.deps.committed(committed);
    this.kick();
  }

  /** Commits one block; false (its sender penalised, its blocks asked of others) if it does not verify. */
  private commit(item: Buffered, check: Check): boolean {
    try {
      const block = check.block ?? decodeBlock(item.block, this.deps.bytesMax);
      this.deps.chain.commitBlock(block, decodeCommit(item.commit), check.verdicts);
      return true;
    } catch (e) {
      // the storage failed, not the block: no peer is to blame, and this node cannot go on
      if (isStorageFailure(e) || !(e instanceof SalusError)) {
        this.running = false;
        this.deps.fatal(e);
        return false;
      }
      this.deps.log.warn({ peer: item.peer.slice(0, 16), height: item.height, reason: e.message }, 'block sync: a block from this peer does not verify');
      this.deps.misbehaved(item.peer, `block sync: ${e.message}`);
      this.deps.schedule.bad(item.height, item.peer);
      return false;
    }
  }
}
