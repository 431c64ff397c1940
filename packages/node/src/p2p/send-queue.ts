import { invariant } from '@salus/core';
import { Fifo } from './fifo.js';

export interface QueuedFrame {
  readonly ch: number;
  readonly priority: number;
  /** the encoded frame body; shared between the queues of a broadcast */
  readonly body: Uint8Array;
}

export interface SendQueueLimits {
  readonly messagesMax: number;
  readonly bytesMax: number;
}

interface Lane {
  readonly priority: number;
  readonly fifo: Fifo<QueuedFrame>;
  /** moving sum of bytes recently sent from this lane; the lane with the least per unit of priority goes next */
  recent: number;
}

/** How fast `recent` forgets: each frame sent multiplies every lane's sum by this. */
const RECENT_DECAY = 1 - 1 / 64;

/**
 * One peer's outgoing messages: a FIFO per channel under one bound on messages and bytes. When a
 * new message does not fit, the oldest messages of strictly lower-priority channels are dropped to
 * make room; if there are none, the new message is dropped. Sending picks, among channels with
 * messages waiting, the one that has recently sent the fewest bytes per unit of priority (CometBFT's
 * MConnection scheme), so a busy low-priority channel cannot starve a high-priority one and no
 * channel is starved outright.
 */
export class SendQueue {
  private readonly lanes = new Map<number, Lane>();
  private count = 0;
  private size = 0;

  constructor(
    private readonly limits: SendQueueLimits,
    private readonly onDrop: (ch: number) => void,
  ) {}

  get messages(): number {
    return this.count;
  }

  get bytes(): number {
    return this.size;
  }

  /** Queues a frame; false when it was dropped (its own drop is counted through onDrop as well). */
  push(f: QueuedFrame): boolean {
    const len = f.body.length;
    if (len > this.limits.bytesMax) {
      this.onDrop(f.ch);
      return false;
    }
    while (this.count + 1 > this.limits.messagesMax || this.size + len > this.limits.bytesMax) {
      const victim = this.lowestBelow(f.priority);
      if (!victim) {
        this.onDrop(f.ch);
        return false;
      }
      const gone = victim.fifo.shift()!;
      this.count -= 1;
      this.size -= gone.body.length;
      this.onDrop(gone.ch);
    }
    let lane = this.lanes.get(f.ch);
    if (!lane) {
      lane = { priority: f.priority, fifo: new Fifo(), recent: 0 };
      this.lanes.set(f.ch, lane);
    }
    lane.fifo.push(f);
    this.count += 1;
    this.size += len;
    invariant(this.count <= this.limits.messagesMax && this.size <= this.limits.bytesMax, 'send queue within its limits');
    return true;
  }

  /** The next frame to write, or undefined when empty. */
  shift(): QueuedFrame | undefined {
    if (this.count === 0) return undefined;
    let best: Lane | undefined;
    let bestRatio = Infinity;
    for (const lane of this.lanes.values()) {
      lane.recent *= RECENT_DECAY;
      if (lane.fifo.length === 0) continue;
      const ratio = lane.recent / lane.priority;
      if (ratio < bestRatio || (ratio === bestRatio && best !== undefined && lane.priority > best.priority)) {
        best = lane;
        bestRatio = ratio;
      }
    }
    invariant(best !== undefined, 'a non-empty send queue has a lane with messages');
    const f = best.fifo.shift()!;
    best.recent += f.body.length;
    this.count -= 1;
    this.size -= f.body.length;
    return f;
  }

  /** Empties the queue (the link closed); returns how many messages were discarded. */
  clear(): number {
    const n = this.count;
    for (const lane of this.lanes.values()) lane.fifo.clear();
    this.count = 0;
    this.size = 0;
    return n;
  }

  private lowestBelow(priority: number): Lane | undefined {
    let low: Lane | undefined;
    for (const lane of this.lanes.values()) {
      if (lane.fifo.length > 0 && lane.priority < priority && (!low || lane.priority < low.priority)) low = lane;
    }
    return low;
  }
}
