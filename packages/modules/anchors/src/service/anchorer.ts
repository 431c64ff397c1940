import { join } from 'node:path';
import { SalusError, toHex, type IdentityKeys } from '@salus/core';
import { BatchTree, itemHashOf, itemSignBytes, receiptTree, signReceipt, type AnchorItem, type SignedReceipt } from '@salus/client';
import type { ModuleServiceDeps } from '@salus/module';
import { activeKey } from '@salus/identity';
import { getParams, type AnchorParams } from '../params.js';
import { ANCHOR_ROLES } from '../module/handlers.js';
import { AnchorStore, type StoredBatch } from './store.js';
import { ItemVerifier } from './verifier.js';
import { TxWriter } from './writer.js';
import { LedgerFollower } from './follower.js';
import type { AnchorServiceOptions } from './options.js';

export interface Accepted {
  readonly receipt: SignedReceipt;
  readonly hashes: readonly Uint8Array[];
}

interface OpenBatch {
  readonly seq: number;
  readonly openedAt: number;
  readonly deadline: number;
  /** the height by which it closes, so that its anchor has blocks left to commit before the deadline */
  readonly closeBy: number;
  count: number;
}

/**
 * The batcher (the anchors module's node service). It takes signed items from registered
 * identities, checks their signatures off the event loop, writes them to the open batch on disk and
 * answers with a receipt signed by the node's anchoring key: the batch they are in and the height by
 * which it will be on the ledger. It closes the batch when it is full, when it has been open for the
 * network's batch interval (the injected clock) or when its deadline comes near; then it sorts the
 * batch's items into a tree and submits one `anchors/anchor` transaction with the root. The
 * follower (follower.ts) watches the ledger: anchored batches, challenges to answer.
 */
export class Anchorer {
  readonly anchorer: string | null;
  readonly store: AnchorStore | null;
  private readonly keys: IdentityKeys | null;
  private readonly verifier = new ItemVerifier({ keysMax: 10_000 });
  private readonly follower: LedgerFollower | null;
  private open: OpenBatch | null = null;
  private readonly trees = new Map<number, BatchTree>();
  private inFlight = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    readonly deps: ModuleServiceDeps,
    readonly opts: AnchorServiceOptions,
  ) {
    this.keys = deps.orgKeys;
    this.anchorer = this.keys ? toHex(this.keys.signing.publicKey) : null;
    // one store per anchoring key: batch numbers are per key
    this.store = this.anchorer ? new AnchorStore(join(deps.dataDir, `batches-${this.anchorer.slice(0, 16)}.sqlite`), { synchronous: opts.synchronous }) : null;
    this.follower = this.keys && this.store ? new LedgerFollower(this, new TxWriter({ ed: deps.ed, keys: this.keys, keyHex: this.anchorer!, ledger: deps.ledger, committed: deps.committed })) : null;
  }

  params(): AnchorParams {
    return getParams(this.deps.committed());
  }

  start(): void {
    const last = this.store?.inState('open').pop();
    if (last) this.open = { seq: last.seq, openedAt: last.openedAt, deadline: last.deadline, closeBy: this.closeBy(last.openedHeight, last.deadline), count: last.count };
    for (const b of this.store?.inState('open') ?? []) {
      if (b.seq === last?.seq) continue;
      if (b.count === 0) this.store!.dropBatch(b.seq);
      else this.closeStored(b);
    }
    this.follower?.onBlock(this.deps.ledger.lastHeight());
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.store?.close();
  }

  onBlock(height: number): void {
    if (this.stopped) return;
    this.follower?.onBlock(height);
    this.tick();
  }

  /** Closes the open batch when its time is up or its deadline near; resubmits anchors not committed. */
  tick(): void {
    if (this.stopped || !this.follower) return;
    const o = this.open;
    if (o && (this.deps.clock.now() - o.openedAt >= this.params().batchIntervalMs || this.deps.ledger.lastHeight() >= o.closeBy)) this.close();
    this.follower.resubmit();
  }

  private closeBy(openedHeight: number, deadline: number): number {
    const margin = Math.max(2, Math.ceil((deadline - openedHeight) / 3));
    return deadline - margin;
  }

  /** This node's anchoring key, active with an anchoring role in committed state; else ANCHOR_UNAVAILABLE. */
  requireAnchoring(): { keys: IdentityKeys; anchorer: string; store: AnchorStore } {
    if (this.stopped || !this.keys || !this.store) throw new SalusError('ANCHOR_UNAVAILABLE', 'this node holds no organisation key: it anchors no items');
    const k = activeKey(this.deps.committed(), this.anchorer!);
    if (!k || k.org === null || !ANCHOR_ROLES.includes(k.role)) throw new SalusError('ANCHOR_UNAVAILABLE', "this node's organisation key is not an active admin or service key: it anchors no items");
    return { keys: this.keys, anchorer: this.anchorer!, store: this.store };
  }

  /**
   * Takes a request's items: all of them or none. Submitters must be active registered identities
   * and every signature must verify; then the items are written (synced) to the open batch and the
   * receipt is signed, with no await in between, so the batch named is the one they are in.
   */
  async accept(items: readonly AnchorItem[]): Promise<Accepted> {
    const { keys, anchorer, store } = this.requireAnchoring();
    const params = this.params();
    const max = Math.min(this.opts.requestItemsMax, params.batchItemsMax);
    if (items.length === 0) throw new SalusError('INVALID_FIELD', 'no items', { field: 'items' });
    if (items.length > max) throw new SalusError('OVERSIZE', `a request carries at most ${max} items here; this one has ${items.length}`, { itemsMax: max });
    if (this.inFlight + items.length > this.opts.verifyQueueMax) throw new SalusError('TOO_MANY_REQUESTS', `${this.inFlight} items are waiting for verification on this node; retry shortly`);
    const kv = this.deps.committed();
    const known = new Map<string, boolean>();
    items.forEach((it, index) => {
      const s = toHex(it.submitter);
      let ok = known.get(s);
      if (ok === undefined) known.set(s, (ok = activeKey(kv, s) !== undefined));
      if (!ok) throw new SalusError('UNREGISTERED_SIGNER', `item ${index}'s submitter ${s.slice(0, 12)}… is not an active registered identity`, { index, submitter: s });
    });
    const chainId = this.deps.chainId;
    const signed = items.map((it) => itemSignBytes(chainId, it));
    this.inFlight += items.length;
    let bad: number;
    try {
      bad = await this.verifier.firstInvalid(items.map((it, i) => ({ key: it.submitter, message: signed[i]!, sig: it.sig })));
    } finally {
      this.inFlight -= items.length;
    }
    if (bad >= 0) throw new SalusError('BAD_SIGNATURE', `item ${bad}'s signature does not verify for its submitter on this chain`, { index: bad });
    if (this.stopped) throw new SalusError('ANCHOR_UNAVAILABLE', 'this node is stopping');
    const hashes = signed.map((s, i) => itemHashOf(s, items[i]!.sig));
    // from here to the receipt: no await, so no batch closes in between
    const batch = this.batchFor(items.length, params);
    batch.count = store.addItems(batch.seq, batch.count, items, hashes);
    const receipt = signReceipt(this.deps.ed, keys.signing.secretKey, chainId, { anchorer, batch: batch.seq, deadline: batch.deadline, items: toHex(receiptTree(hashes).root), count: items.length, at: this.deps.clock.now() });
    if (batch.count >= params.batchItemsMax) this.close();
    return { receipt, hashes };
  }

  /** The open batch, with room for `n` more items and blocks left before it must close; a new one if not. */
  private batchFor(n: number, params: AnchorParams): OpenBatch {
    const height = this.deps.ledger.lastHeight();
    if (this.open && (this.open.count + n > params.batchItemsMax || height >= this.open.closeBy)) this.close();
    if (!this.open) {
      const deadline = height + params.deadlineBlocks;
      const b = this.store!.openBatch({ seq: this.store!.nextSeq(), openedAt: this.deps.clock.now(), openedHeight: height, deadline });
      this.open = { seq: b.seq, openedAt: b.openedAt, deadline, closeBy: this.closeBy(height, deadline), count: 0 };
    }
    return this.open;
  }

  /** Closes the open batch: sorts its items into a tree, records the root, submits the anchor. */
  close(): void {
    const o = this.open;
    this.open = null;
    if (!o) return;
    const b = this.store!.batch(o.seq)!;
    // a batch opened for a request that then failed to write holds nothing and promised nothing
    if (b.count === 0) return this.store!.dropBatch(o.seq);
    this.closeStored(b);
  }

  private closeStored(b: StoredBatch): void {
    const tree = new BatchTree(this.store!.sortedItems(b.seq));
    this.store!.closeBatch(b.seq, tree.root, tree.size);
    this.cacheTree(b.seq, tree);
    this.deps.log.info({ batch: b.seq, items: tree.size, deadline: b.deadline }, 'anchors: batch closed');
    this.follower!.submitAnchor(b.seq);
  }

  private cacheTree(seq: number, tree: BatchTree): void {
    this.trees.delete(seq);
    this.trees.set(seq, tree);
    while (this.trees.size > this.opts.treesCached) this.trees.delete(this.trees.keys().next().value!);
  }

  /** A closed batch's tree (rebuilt from the store when it is not among the recent ones). */
  tree(seq: number): BatchTree {
    let t = this.trees.get(seq);
    if (!t) {
      t = new BatchTree(this.store!.sortedItems(seq));
      this.cacheTree(seq, t);
    }
    return t;
  }

  /** What the node's status route shows. */
  status(): Record<string, unknown> {
    return { anchorer: this.anchorer, open: this.open ? { batch: this.open.seq, items: this.open.count, deadline: this.open.deadline } : null, batches: this.store?.counts() ?? null, verifying: this.inFlight };
  }
}
