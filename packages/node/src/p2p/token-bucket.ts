/** A token bucket refilled lazily from an injected monotonic clock (ms). */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  available(): number {
    const t = this.now();
    if (t > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.at) * this.ratePerSec) / 1000);
      this.at = t;
    }
    return this.tokens;
  }

  take(n: number): void {
    this.tokens -= n;
  }
}

/** The two buckets a peer's inbound frames draw on: one message and its bytes must both fit, or neither is taken. */
export class RateLimiter {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(o: { messagesPerSec: number; bytesPerSec: number; burstSec: number }, now: () => number) {
    this.messages = new TokenBucket(o.messagesPerSec, Math.max(1, o.messagesPerSec * o.burstSec), now);
    this.bytes = new TokenBucket(o.bytesPerSec, o.bytesPerSec * o.burstSec, now);
  }

  admit(frameBytes: number): boolean {
    if (this.messages.available() < 1 || this.bytes.available() < frameBytes) return false;
    this.messages.take(1);
    this.bytes.take(frameBytes);
    return true;
  }
}
