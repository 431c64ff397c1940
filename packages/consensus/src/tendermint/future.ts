import type { ConsensusMessage } from './types.js';

/**
 * The machine refuses messages for heights it has not reached (effect `rejected`, reason
 * 'future-height'); buffering them is the driver's choice. This is the bounded buffer a driver can
 * use: messages for the next height only, at most `max`, handed back (to be WAL-appended and
 * stepped) when that height starts. Messages further ahead mean this node is behind: block sync.
 */
export class FutureBuffer {
  private messages: ConsensusMessage[] = [];

  constructor(private readonly max: number) {}

  /** Keeps `msg` if it is for `currentHeight + 1` and there is room; returns whether it was kept. */
  offer(msg: ConsensusMessage, currentHeight: number): boolean {
    const h = msg.kind === 'proposal' ? msg.proposal.height : msg.vote.height;
    if (h !== currentHeight + 1 || this.messages.length >= this.max) return false;
    this.messages.push(msg);
    return true;
  }

  /** Removes and returns the messages for `height` (others are dropped). */
  take(height: number): ConsensusMessage[] {
    const out = this.messages.filter((m) => (m.kind === 'proposal' ? m.proposal.height : m.vote.height) === height);
    this.messages = [];
    return out;
  }

  get size(): number {
    return this.messages.length;
  }
}
