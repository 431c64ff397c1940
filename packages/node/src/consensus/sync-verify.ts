import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Block } from '@salus/core';

/** The worker's file beside this one in dist (not there when this module runs from its TypeScript source). */
const WORKER_URL = new URL('./sig-worker.js', import.meta.url);

/**
 * The transaction signatures of synced blocks, checked before their turn to be committed on a thread
 * of their own (`sig-worker.ts`), so that the checks of the next blocks overlap the commit of this
 * one and the event loop is left to the API and consensus. A synced block's transactions were never
 * in this node's mempool, so without this the Chain checks every signature while it commits; with
 * it, the Chain skips those found valid (`Chain.commitBlock`'s `txsVerified`). A transaction found
 * invalid, or any block when the thread is unavailable, is checked by the Chain as before.
 *
 * Measured (500-transaction blocks, 2 cores): the commit on the event loop 247 → 155 ms; posting a
 * block to the thread 0.5 ms. node:crypto's verify with a callback (libuv's pool) left ~85 ms of the
 * ~90 on the event loop (decoding, sign bytes, key import), so it is not used.
 */
export class TxSignatureChecker {
  private worker: Worker | undefined;
  private failed = false;
  private seq = 0;
  private readonly waits = new Map<number, (verdicts: boolean[] | undefined) => void>();

  constructor(private readonly workerUrl: URL = WORKER_URL) {}

  /** Each transaction's verdict, or undefined when the thread is unavailable (the Chain checks them all). */
  check(block: Block): Promise<boolean[] | undefined> {
    if (block.txs.length === 0) return Promise.resolve([]);
    const w = this.thread();
    if (!w) return Promise.resolve(undefined);
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waits.set(id, resolve);
      w.postMessage({ id, txs: block.txs });
    });
  }

  /** Starts the thread before the first block arrives (loading it takes a few hundred ms). */
  warm(): void {
    this.thread();
  }

  /** Stops the thread; checks still waiting resolve undefined. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failed = true;
    this.settle();
    await w?.terminate();
  }

  private thread(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    if (!existsSync(fileURLToPath(this.workerUrl))) {
      this.failed = true;
      return undefined;
    }
    const w = new Worker(this.workerUrl);
    w.unref();
    w.on('message', (m: { id: number; verdicts: boolean[] }) => {
      const resolve = this.waits.get(m.id);
      this.waits.delete(m.id);
      resolve?.(m.verdicts);
    });
    // a thread that fails is not started again: the Chain checks the signatures itself
    const lost = () => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failed = true;
      this.settle();
    };
    w.on('error', lost);
    w.on('exit', lost);
    this.worker = w;
    return w;
  }

  private settle(): void {
    for (const resolve of this.waits.values()) resolve(undefined);
    this.waits.clear();
  }
}
