import type { Connection, Direction } from './connection.js';
import type { PeerAddress } from './options.js';
import { PeerScore } from './score.js';
import { SendQueue } from './send-queue.js';
import { RateLimiter } from './token-bucket.js';

export type PeerStatus = 'connected' | 'connecting' | 'waiting' | 'banned' | 'disconnected';

/** What `peers()` tells about one peer; plain data. */
export interface PeerInfo {
  readonly id: string;
  readonly status: PeerStatus;
  /** the address we dial, if this peer is one we keep connected */
  readonly address?: string;
  /** of the established link */
  readonly direction?: Direction;
  readonly remote?: string;
  readonly connectedForMs?: number;
  readonly bannedForMs?: number;
  readonly score: number;
  /** consecutive failed attempts; the next dial waits per the backoff */
  readonly dialAttempts: number;
  readonly sendQueueMessages: number;
  readonly sendQueueBytes: number;
  readonly socketBufferedBytes: number;
  readonly dropped: number;
  readonly lastDisconnect?: string;
}

/** Links at once for one peer (established plus handshaking): enough for a simultaneous dial and a reconnection. */
export const LINKS_PER_PEER_MAX = 3;

export interface PeerStateOptions {
  readonly sendQueueMessagesMax: number;
  readonly sendQueueBytesMax: number;
  readonly recvMessagesPerSec: number;
  readonly recvBytesPerSec: number;
  readonly recvBurstSec: number;
  readonly scoreRecoveryPerSec: number;
  readonly scoreBanThreshold: number;
  readonly banMs: number;
}

/**
 * Everything the transport keeps about one allowed peer, for the life of the transport: its send
 * queue (shared by whichever link is current), its inbound rate limits and its score, which
 * therefore survive reconnections, and its links.
 */
export class PeerState {
  address: PeerAddress | undefined;
  /** the established link messages go through */
  link: Connection | undefined;
  /** every link of this peer, established or still in its hello */
  readonly links = new Set<Connection>();
  readonly queue: SendQueue;
  readonly score: PeerScore;
  readonly limiter: RateLimiter;
  dialing = false;
  dialTimer: NodeJS.Timeout | undefined;
  attempts = 0;
  dropped = 0;
  lastDisconnect: string | undefined;

  constructor(
    readonly id: string,
    o: PeerStateOptions,
    now: () => number,
    onDrop: (ch: number) => void,
  ) {
    this.queue = new SendQueue({ messagesMax: o.sendQueueMessagesMax, bytesMax: o.sendQueueBytesMax }, (ch) => {
      this.dropped += 1;
      onDrop(ch);
    });
    this.score = new PeerScore(o, now);
    this.limiter = new RateLimiter({ messagesPerSec: o.recvMessagesPerSec, bytesPerSec: o.recvBytesPerSec, burstSec: o.recvBurstSec }, now);
  }

  status(): PeerStatus {
    if (this.score.isBanned()) return 'banned';
    if (this.link) return 'connected';
    if (this.dialing || this.links.size > 0) return 'connecting';
    if (this.dialTimer) return 'waiting';
    return 'disconnected';
  }

  info(now: number): PeerInfo {
    const l = this.link;
    return {
      id: this.id,
      status: this.status(),
      ...(this.address ? { address: `${this.address.host}:${this.address.port}` } : {}),
      ...(l ? { direction: l.direction, remote: l.remote, connectedForMs: Math.round(now - l.readyAt) } : {}),
      ...(this.score.isBanned() ? { bannedForMs: Math.round(this.score.bannedUntil - now) } : {}),
      score: Math.round(this.score.current),
      dialAttempts: this.attempts,
      sendQueueMessages: this.queue.messages,
      sendQueueBytes: this.queue.bytes,
      socketBufferedBytes: l?.bufferedBytes ?? 0,
      dropped: this.dropped,
      ...(this.lastDisconnect ? { lastDisconnect: this.lastDisconnect } : {}),
    };
  }
}
