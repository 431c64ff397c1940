/** Why a peer lost points; each has a penalty in the options (`report` lets the layer above add its own). */
export type Violation = 'malformed' | 'oversize' | 'unknown-channel' | 'flood' | 'reported';

/**
 * A peer's standing: starts at 0, penalties subtract, and it recovers toward 0 at a steady rate.
 * Kept per peer id for the life of the transport, across reconnections, so a peer cannot wash its
 * score by redialling. At or below the threshold the peer is banned until `bannedUntil`.
 */
export class PeerScore {
  private value = 0;
  private at: number;
  bannedUntil = 0;

  constructor(
    private readonly o: { scoreRecoveryPerSec: number; scoreBanThreshold: number; banMs: number },
    private readonly now: () => number,
  ) {
    this.at = now();
  }

  get current(): number {
    const t = this.now();
    if (t > this.at) {
      this.value = Math.min(0, this.value + ((t - this.at) * this.o.scoreRecoveryPerSec) / 1000);
      this.at = t;
    }
    return this.value;
  }

  isBanned(): boolean {
    return this.bannedUntil > this.now();
  }

  /** Subtracts a penalty; true when this crossed the threshold and the peer is now banned. */
  penalize(points: number): boolean {
    this.value = this.current - points;
    if (this.value > this.o.scoreBanThreshold || this.isBanned()) return false;
    this.bannedUntil = this.now() + this.o.banMs;
    this.value = 0;
    return true;
  }
}
