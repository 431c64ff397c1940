import { SalusError, fromHex, toHex, type Canonical } from '@salus/core';
import type { BatchTree } from '@salus/client';
import type { ModuleServiceDeps } from '@salus/module';
import { challengePrefix, getBatch, type ChallengeRecord } from '../module/state.js';
import type { AnchorStore } from './store.js';
import type { TxWriter } from './writer.js';
import type { AnchorServiceOptions } from './options.js';

/** What the follower needs of the batcher (it is the batcher; the interface keeps the two files acyclic). */
export interface FollowerHost {
  readonly deps: ModuleServiceDeps;
  readonly opts: AnchorServiceOptions;
  readonly anchorer: string | null;
  readonly store: AnchorStore | null;
  tree(seq: number): BatchTree;
}

/** challenges answered per block at most (each answer is a transaction) */
const ANSWERS_PER_BLOCK = 256;

/**
 * The batcher's side that follows the ledger. A closed batch is anchored when the ledger holds its
 * record with the same root (the ledger is the truth, whatever happened to the transaction); one
 * whose deadline passed without it failed (its receipts are reportable: logged loudly). An anchor
 * neither committed nor waiting in the mempool is submitted again. Open challenges to this node's
 * key are answered with the item's path, which settles them.
 */
export class LedgerFollower {
  private readonly sent = new Map<string, { hash: string; at: number }>();

  constructor(
    private readonly host: FollowerHost,
    private readonly writer: TxWriter,
  ) {}

  private get store(): AnchorStore {
    return this.host.store!;
  }

  /** Submits a transaction once per key until it commits (a refusal is logged; `resubmit` tries again later). */
  private send(id: string, type: string, payload: Canonical): void {
    const now = this.host.deps.clock.now();
    const s = this.sent.get(id);
    if (s && (now - s.at < this.host.opts.resubmitMs || this.host.deps.ledger.mempool.has(s.hash))) return;
    try {
      this.sent.set(id, { hash: this.writer.submit(type, payload), at: now });
    } catch (e) {
      this.sent.set(id, { hash: '', at: now });
      // CONFLICT: already on the ledger (onBlock will see it); anything else is retried after resubmitMs
      if (!(e instanceof SalusError && e.code === 'CONFLICT')) this.host.deps.log.warn({ id, code: (e as SalusError).code, reason: (e as Error).message }, 'anchors: transaction not admitted');
    }
  }

  submitAnchor(seq: number): void {
    const b = this.store.batch(seq)!;
    this.send(`anchor:${seq}`, 'anchor', { batch: seq, root: toHex(b.root!), count: b.count, deadline: b.deadline });
  }

  resubmit(): void {
    for (const b of this.store.inState('closed')) this.submitAnchor(b.seq);
  }

  onBlock(height: number): void {
    const kv = this.host.deps.committed();
    for (const b of this.store.inState('closed')) {
      const rec = getBatch(kv, this.host.anchorer!, b.seq);
      if (rec && rec.root === toHex(b.root!)) {
        this.store.markAnchored(b.seq, rec.height);
        this.sent.delete(`anchor:${b.seq}`);
        this.host.deps.log.info({ batch: b.seq, items: b.count, height: rec.height }, 'anchors: batch anchored');
      } else if (rec || height > b.deadline) {
        this.store.markFailed(b.seq);
        this.host.deps.log.warn({ batch: b.seq, items: b.count, deadline: b.deadline, height, other: rec?.root ?? null }, 'anchors: batch NOT anchored by its deadline (or another root holds its number): its receipts are reportable');
      }
    }
    this.answer(kv.list(challengePrefix(this.host.anchorer!), { limit: ANSWERS_PER_BLOCK }).map(([, v]) => v as ChallengeRecord));
  }

  private answer(challenges: readonly ChallengeRecord[]): void {
    const open = new Set(challenges.map((ch) => `respond:${ch.batch}:${ch.item}`));
    for (const id of this.sent.keys()) if (id.startsWith('respond:') && !open.has(id)) this.sent.delete(id);
    for (const ch of challenges) {
      const b = this.store.batch(ch.batch);
      if (b?.state !== 'anchored') continue;
      const tree = this.host.tree(ch.batch);
      const index = tree.search(fromHex(ch.item, 32));
      if (index < 0) {
        this.host.deps.log.warn({ batch: ch.batch, item: ch.item }, 'anchors: challenged for an item its batch lacks; it will be recorded as misbehaviour');
        continue;
      }
      this.send(`respond:${ch.batch}:${ch.item}`, 'respond', { anchorer: ch.anchorer, batch: ch.batch, item: ch.item, index, path: tree.path(index).map(toHex) });
    }
  }
}
