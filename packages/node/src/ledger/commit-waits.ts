import { SalusError } from '@salus/core';
import type { TxResult } from '@salus/module';

export interface Receipt {
  readonly hash: string;
  readonly height: number;
  readonly index: number;
  readonly result: TxResult;
}

/**
 * Callers waiting for a transaction's commit or for a height (API `?wait=commit`, module routes
 * that prove what they read): Chain resolves them after each commit; each wait has its timeout.
 */
export class CommitWaits {
  private readonly byTx = new Map<string, ((r: Receipt) => void)[]>();
  private byHeight: { readonly height: number; readonly done: () => void }[] = [];

  forTx(hashHex: string, timeoutMs: number): Promise<Receipt> {
    return new Promise((resolve, reject) => {
      const list = this.byTx.get(hashHex) ?? [];
      const timer = setTimeout(() => {
        const l = this.byTx.get(hashHex);
        if (l) {
          l.splice(l.indexOf(done), 1);
          if (l.length === 0) this.byTx.delete(hashHex);
        }
        reject(new SalusError('TIMEOUT', `transaction ${hashHex} not committed within ${timeoutMs} ms`, { hash: hashHex }));
      }, timeoutMs);
      const done = (r: Receipt) => {
        clearTimeout(timer);
        resolve(r);
      };
      list.push(done);
      this.byTx.set(hashHex, list);
    });
  }

  forHeight(height: number, timeoutMs: number): Promise<void> {
    if (this.byHeight.length >= 10_000) return Promise.reject(new SalusError('TOO_MANY_REQUESTS', 'too many requests wait for a height; retry shortly'));
    return new Promise((resolve, reject) => {
      const w = { height, done: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.byHeight = this.byHeight.filter((x) => x !== w);
        reject(new SalusError('TIMEOUT', `this node has not reached height ${height} within ${timeoutMs} ms`, { height }));
      }, timeoutMs);
      this.byHeight.push(w);
    });
  }

  /** Block `height` committed these transactions (by hex hash, in block order) with these results. */
  committed(height: number, hexes: readonly string[], results: readonly TxResult[]): void {
    if (this.byHeight.length > 0) {
      const due = this.byHeight.filter((w) => w.height <= height);
      this.byHeight = this.byHeight.filter((w) => w.height > height);
      for (const w of due) w.done();
    }
    if (this.byTx.size === 0) return;
    for (let i = 0; i < hexes.length; i++) {
      const ws = this.byTx.get(hexes[i]!);
      if (!ws) continue;
      this.byTx.delete(hexes[i]!);
      const r: Receipt = { hash: hexes[i]!, height, index: i, result: results[i]! };
      for (const w of ws) w(r);
    }
  }
}
