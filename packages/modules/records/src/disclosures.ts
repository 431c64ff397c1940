import { SalusError, decode, encodeTx, fromHex, signTx, type Canonical, type Ed25519, type IdentityKeys } from '@salus/core';
import type { IndexedBlockTx, RecordsIndex } from './index-db.js';
import { RECORDS_LIMITS, entryTuple, type DisclosureEntry } from './payloads.js';
import type { Application, BlockReader, LedgerView, ServiceLog, WallClock } from '@salus/module';

export interface DisclosureOptions {
  /** how often queued disclosures are signed into a transaction */
  readonly flushMs: number;
  /** the ledger counts as unavailable when no block committed for this long */
  readonly ledgerStaleMs: number;
  /** reads are refused while this many disclosures wait for a transaction */
  readonly queueMax: number;
  /** a submitted batch neither committed nor in the mempool after this long goes back to the queue */
  readonly resubmitMs: number;
}

/**
 * The node's clock as the records services use it: time, and timers driven by the same clock
 * (consensus's `Clock` is one), so a test that moves the node's clock moves consent expiry, request
 * skew and the disclosure schedule together.
 */
export interface RecordsClock extends WallClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the records services use of the module manager: committed state, and the next nonce of a key that signs. */
export type RecordsApp = Pick<Application, 'readCache' | 'committedView' | 'pendingNonce'>;

/**
 * The parts of the node that the records module reads the ledger with, signs its transactions with,
 * and tells time by: narrow faces (the node passes its chain, block store, module manager, logger
 * and clock, which satisfy them), so this package never imports the node.
 */
export interface LedgerParts {
  readonly chain: LedgerView;
  readonly blocks: BlockReader;
  readonly app: RecordsApp;
  readonly ed: Ed25519;
  readonly keys: IdentityKeys;
  readonly nodeId: string;
  readonly log: ServiceLog;
  readonly clock: RecordsClock;
}

/**
 * The rule "no read is served without its record reaching the ledger": a read first appends its
 * disclosure (with the reader's signed request) to this node's durable queue, and is refused with
 * LEDGER_UNAVAILABLE when the ledger has not committed recently or the queue is full. The queue is
 * signed by this node into `records/disclose` transactions every `flushMs`; a batch leaves the queue
 * only when its transaction commits, and goes back into it if it fails or is lost (also across a
 * restart), so every served read ends up on the ledger.
 */
export class DisclosureRecorder {
  private timer: unknown;
  private running = false;
  /** batches submitted and not yet settled: transaction hash → submission time */
  private readonly submitted = new Map<string, number>();

  constructor(
    private readonly opts: DisclosureOptions,
    private readonly deps: LedgerParts & {
      index: RecordsIndex;
      lastCommitAt: () => number;
      /** whether the ledger accepts this node's disclosure batches */
      mayDisclose: () => boolean;
    },
  ) {}

  start(): void {
    // After a restart: batches that committed leave the queue, the others are queued again.
    for (const { tx, at } of this.deps.index.submittedTxs()) this.submitted.set(tx, at);
    for (const tx of [...this.submitted.keys()]) this.settle(tx);
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next flush, `flushMs` after this one ends (the clock offers one-shot timers, as consensus uses them). */
  private schedule(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      try {
        this.flush();
      } finally {
        if (this.running) this.schedule();
      }
    }, this.opts.flushMs);
  }

  /** Throws LEDGER_UNAVAILABLE rather than let a read go unlogged. */
  admit(): void {
    const idle = this.deps.clock.now() - this.deps.lastCommitAt();
    if (idle > this.opts.ledgerStaleMs) {
      throw new SalusError('LEDGER_UNAVAILABLE', `this node's latest block is ${Math.round(idle / 1000)} s old (stalled or catching up); the read is refused rather than served on old consent or unlogged`);
    }
    if (this.deps.index.unsubmittedCount >= this.opts.queueMax) throw new SalusError('LEDGER_UNAVAILABLE', 'the disclosure queue is full; retry shortly');
    if (!this.deps.mayDisclose()) {
      throw new SalusError('LEDGER_UNAVAILABLE', "this node's key may not record disclosures (register it as a service key of its organisation), so it serves no reads");
    }
  }

  private group: { entries: DisclosureEntry[]; done: Promise<void> } | undefined;

  /**
   * Appends a served read's disclosure to the durable queue; resolves once it is on disk. Reads
   * that arrive in the same turn of the event loop share one synced transaction.
   */
  record(entry: DisclosureEntry): Promise<void> {
    return this.recordAll([entry]);
  }

  /** Several reads served in one answer (a search page, a history): one admission check, one synced group. */
  recordAll(entries: readonly DisclosureEntry[]): Promise<void> {
    this.admit();
    if (!this.group) {
      const group: DisclosureEntry[] = [];
      const done = new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          this.group = undefined;
          try {
            this.deps.index.addPending(group);
            resolve();
          } catch (e) {
            reject(e instanceof SalusError ? e : new SalusError('LEDGER_UNAVAILABLE', `the disclosure queue could not be written: ${(e as Error).message}`));
          }
        }),
      );
      this.group = { entries: group, done };
    }
    this.group.entries.push(...entries);
    return this.group.done;
  }

  /** Called with each committed block's records transactions. */
  onBlock(txs: readonly IndexedBlockTx[]): void {
    for (const t of txs) if (t.type === 'disclose' && this.submitted.has(t.hash)) this.settle(t.hash);
  }

  private settle(tx: string): void {
    const loc = this.deps.blocks.findTx(fromHex(tx));
    if (!loc) {
      if (!this.deps.chain.mempool.has(tx)) {
        this.deps.index.requeueBatch(tx);
        this.submitted.delete(tx);
      }
      return;
    }
    this.submitted.delete(tx);
    const stored = this.deps.blocks.getTx(loc.height, loc.index)!;
    if ((decode(stored.result) as { code: string }).code === 'OK') this.deps.index.dropBatch(tx);
    else this.deps.index.requeueBatch(tx);
  }

  flush(): void {
    const now = this.deps.clock.now();
    for (const [tx, at] of this.submitted) if (now - at > this.opts.resubmitMs) this.settle(tx);
    for (;;) {
      const rows = this.deps.index.unsubmitted(RECORDS_LIMITS.disclosuresPerTxMax);
      if (rows.length === 0) return;
      const { keys, app, chain } = this.deps;
      try {
        const nonce = app.pendingNonce(this.deps.nodeId);
        const payload: Canonical = { entries: rows.map((r) => entryTuple(r.entry)) };
        const tx = signTx(this.deps.ed, keys.signing.secretKey, { chainId: chain.chainId, signer: keys.signing.publicKey, nonce, module: 'records', type: 'disclose', payload });
        const hash = chain.submit(encodeTx(tx));
        this.deps.index.markSubmitted(rows.map((r) => r.id), hash, now);
        this.submitted.set(hash, now);
      } catch (e) {
        this.deps.log.warn({ reason: (e as Error).message, queued: rows.length }, 'disclosures: batch not admitted; retrying');
        return;
      }
      if (rows.length < RECORDS_LIMITS.disclosuresPerTxMax) return;
    }
  }
}
