import type { Logger } from 'pino';
import { SalusError } from '@salus/core';
import type { RefusalReason } from './tls-identity.js';
import type { Direction } from './connection.js';

export type MessageHandler = (peerId: string, channel: number, bytes: Uint8Array) => void;
export type PeerConnectedHandler = (peerId: string, info: { readonly direction: Direction; readonly remote: string }) => void;
export type PeerDisconnectedHandler = (peerId: string, reason: string) => void;
export type PeerRefusedHandler = (r: { readonly peerId?: string; readonly remote: string; readonly direction: Direction; readonly reason: RefusalReason }) => void;
export type PeerBannedHandler = (peerId: string, reason: string, banMs: number) => void;

/** Listeners at most per event: a limit, so a leak of subscriptions shows up as an error, not as memory. */
const LISTENERS_MAX = 64;

/**
 * A list of handlers of one event. A handler that throws is logged and the others still run: a bug
 * above must not tear down the transport's read loop.
 */
export class Listeners<H extends (...args: never[]) => void> {
  private readonly handlers = new Set<H>();

  constructor(
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  add(h: H): () => void {
    if (this.handlers.size >= LISTENERS_MAX) {
      throw new SalusError('CONFIG', `more than ${LISTENERS_MAX} listeners of p2p ${this.name}`);
    }
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  emit(...args: Parameters<H>): void {
    for (const h of this.handlers) {
      try {
        h(...args);
      } catch (e) {
        this.log.error({ event: this.name, err: (e as Error).message }, 'p2p listener threw');
      }
    }
  }
}
