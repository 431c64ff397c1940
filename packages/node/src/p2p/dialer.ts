import { connect, type TLSSocket } from 'node:tls';
import { backoffDelayMs } from './backoff.js';
import { P2P_ALPN } from './control.js';
import type { PeerState } from './peer.js';
import type { TlsIdentity } from './tls-identity.js';

export interface DialerOptions {
  readonly handshakeTimeoutMs: number;
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
}

export interface DialerHooks {
  /** whether this peer should be dialled now (has an address, no link, none pending, …) */
  wanted(peer: PeerState): boolean;
  /** TLS is up on an outbound socket: the owner pins the key and takes the socket over */
  secure(peer: PeerState, socket: TLSSocket): void;
  /** the dial failed before TLS was up */
  failed(peer: PeerState, reason: string): void;
}

/**
 * Keeps the wanted peers dialled: one dial at a time per peer, each after the backoff its count of
 * failed attempts calls for (and not before its ban ends), each bounded by handshakeTimeoutMs.
 */
export class Dialer {
  private readonly inFlight = new Set<TLSSocket>();
  private closed = false;

  constructor(
    private readonly o: DialerOptions,
    private readonly identity: TlsIdentity,
    private readonly hooks: DialerHooks,
    private readonly deps: { readonly now: () => number; readonly random: () => number; readonly onDial: () => void },
  ) {}

  schedule(peer: PeerState): void {
    if (this.closed || peer.dialTimer || peer.dialing || !this.hooks.wanted(peer)) return;
    let delay = backoffDelayMs(peer.attempts, this.o, this.deps.random);
    if (peer.score.isBanned()) delay = Math.max(delay, Math.ceil(peer.score.bannedUntil - this.deps.now()) + 1);
    peer.dialTimer = setTimeout(() => {
      peer.dialTimer = undefined;
      this.dial(peer);
    }, delay);
    peer.dialTimer.unref();
  }

  cancel(peer: PeerState): void {
    clearTimeout(peer.dialTimer);
    peer.dialTimer = undefined;
  }

  close(): void {
    this.closed = true;
    for (const s of this.inFlight) s.destroy();
    this.inFlight.clear();
  }

  private dial(peer: PeerState): void {
    if (this.closed || peer.dialing || !this.hooks.wanted(peer)) return;
    if (peer.score.isBanned()) {
      this.schedule(peer);
      return;
    }
    const address = peer.address!;
    peer.dialing = true;
    this.deps.onDial();
    const socket = connect({
      host: address.host,
      port: address.port,
      secureContext: this.identity.secureContext,
      ALPNProtocols: [P2P_ALPN],
      minVersion: 'TLSv1.3',
      // The peer's certificate is self-signed: it is pinned by key once TLS is up (hooks.secure),
      // never judged by a CA chain or a host name.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    this.inFlight.add(socket);
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      this.inFlight.delete(socket);
      peer.dialing = false;
      return true;
    };
    const fail = (reason: string): void => {
      if (!finish()) return;
      socket.destroy();
      if (!this.closed) this.hooks.failed(peer, reason);
    };
    const timer = setTimeout(() => fail('handshake timeout'), this.o.handshakeTimeoutMs);
    socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    socket.once('close', () => fail('closed during the handshake'));
    socket.once('secureConnect', () => {
      if (finish()) this.hooks.secure(peer, socket);
    });
  }
}
