import { SalusError } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { P2P } from '../p2p/index.js';
import { CH } from '../consensus/channels.js';
import { type SnapshotMessage, decodeSnapshotMessage, encodeSnapshotMessage } from './wire.js';

/** Penalty for a peer whose snapshot message is malformed or does not verify. */
export const BAD_SNAPSHOT_PENALTY = 50;

export type SnapshotP2P = Pick<P2P, 'onMessage' | 'send' | 'report' | 'connectedPeers'>;

interface Waiter {
  readonly peer: string;
  readonly match: (m: SnapshotMessage) => boolean;
  readonly resolve: (m: SnapshotMessage) => void;
  readonly reject: (e: Error) => void;
  timer: unknown;
}

/**
 * Request and answer over the snapshot channel: `ask` sends a message to one peer and resolves
 * with the first answer from that peer that `match` accepts, or rejects with TIMEOUT. A malformed
 * message costs its sender BAD_SNAPSHOT_PENALTY.
 */
export class SnapshotRequests {
  private waiters: Waiter[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: { p2p: SnapshotP2P; clock: Clock; timeoutMs: number; bytesMax: number },
  ) {
    this.unsubscribe = deps.p2p.onMessage((peer, ch, bytes) => {
      if (ch === CH.snapshot) this.receive(peer, bytes);
    });
  }

  ask<T extends SnapshotMessage>(peer: string, msg: SnapshotMessage, match: (m: SnapshotMessage) => m is T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = { peer, match, resolve: resolve as (m: SnapshotMessage) => void, reject, timer: undefined };
      w.timer = this.deps.clock.setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new SalusError('TIMEOUT', `peer ${peer.slice(0, 16)}… did not answer a ${msg.t} request in time`));
      }, this.deps.timeoutMs);
      this.waiters.push(w);
      if (!this.deps.p2p.send(peer, CH.snapshot, encodeSnapshotMessage(msg))) {
        this.deps.clock.clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new SalusError('TIMEOUT', `peer ${peer.slice(0, 16)}… is not connected`));
      }
    });
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let m: SnapshotMessage;
    try {
      m = decodeSnapshotMessage(bytes, this.deps.bytesMax);
    } catch (e) {
      if (!(e instanceof SalusError)) throw e;
      this.deps.p2p.report(peer, BAD_SNAPSHOT_PENALTY, `snapshot message: ${e.message}`);
      return;
    }
    const w = this.waiters.find((x) => x.peer === peer && x.match(m));
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    this.deps.clock.clearTimeout(w.timer);
    w.resolve(m);
  }

  close(): void {
    this.unsubscribe();
    for (const w of this.waiters) {
      this.deps.clock.clearTimeout(w.timer);
      w.reject(new SalusError('TIMEOUT', 'state sync stopped'));
    }
    this.waiters = [];
  }
}
