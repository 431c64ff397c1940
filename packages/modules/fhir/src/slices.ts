import { performance } from 'node:perf_hooks';

/**
 * Cuts a long in-memory pass (decrypting a search index, matching every resource of a type) into
 * slices of about `sliceMs`, letting timers and I/O run between them. Awaiting promises that are
 * already resolved never yields to I/O, so without this a node busy indexing 100,000 resources
 * stops voting and reading the network, falls behind its peers and refuses reads as stale.
 */
export class Slices {
  private started = performance.now();

  constructor(private readonly sliceMs = 8) {}

  /** Whether the slice is over (then `next` yields). */
  sliceDue(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Resolves at once within a slice; after it, on the next turn of the event loop. */
  async next(): Promise<void> {
    if (!this.sliceDue()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
