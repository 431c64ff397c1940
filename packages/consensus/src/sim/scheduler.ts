import { invariant } from '@salus/core';

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * Virtual time: a priority queue of events ordered by (time, insertion order), so a run is a pure
 * function of the seed. Nothing in the simulator reads the host's clock.
 */
export class Scheduler {
  private heap: Event[] = [];
  private seq = 0;
  now = 0;
  executed = 0;

  at(time: number, run: () => void): void {
    invariant(Number.isSafeInteger(time) && time >= this.now, 'events are scheduled at whole milliseconds, not in the past', { time, now: this.now });
    this.push({ at: time, seq: this.seq++, run });
  }

  after(ms: number, run: () => void): void {
    this.at(this.now + Math.max(0, ms), run);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const e = this.pop();
    if (e === undefined) return false;
    this.now = e.at;
    this.executed++;
    e.run();
    return true;
  }

  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
