import type { TLSSocket } from 'node:tls';
import { SalusError, isSalusError } from '@salus/core';
import { CONTROL_CHANNEL } from './channels.js';
import { P2P_PROTOCOL_VERSION, decodeControl, encodeControl, type Control } from './control.js';
import { FrameDecoder, decodeFrameBody, encodeFrameBody, frameHeader } from './frame.js';
import type { SendQueue } from './send-queue.js';
import type { RefusalReason } from './tls-identity.js';
import type { Violation } from './score.js';

export type Direction = 'in' | 'out';

export interface ConnectionOptions {
  readonly networkId: string;
  readonly frameBytesMax: number;
  readonly handshakeTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly writeStallMsMax: number;
}

/** What a link reports to its owner. Handlers may close the link; the link checks before going on. */
export interface ConnectionHooks {
  /** both hellos exchanged: the link may carry messages */
  ready(c: Connection): void;
  /** the hello was refused (wrong network or version): closes without penalty */
  refused(c: Connection, reason: RefusalReason, detail: string): void;
  /** rate limit, asked for every frame after the hello; false drops the frame */
  admit(c: Connection, frameBytes: number): boolean;
  message(c: Connection, ch: number, m: Uint8Array, frameBytes: number): void;
  /** the peer broke the protocol; after 'malformed' and 'oversize' the link closes itself */
  violation(c: Connection, kind: Violation, detail: string): void;
  sent(c: Connection, ch: number, frameBytes: number): void;
  closed(c: Connection, reason: string): void;
}

/** Control frames waiting to be written: at most a hello, a ping and a pong at a time. */
const CONTROL_PENDING_MAX = 3;
/** Frames written per turn of the event loop before yielding to other links. */
const WRITES_PER_TURN_MAX = 256;

let nextSeq = 1;

/**
 * One authenticated TLS link to a peer whose key has been pinned: frame decoding, the hello, pings
 * and idle detection, and writing from the peer's send queue with back-pressure (nothing more is
 * written while socket.write() has returned false, until 'drain'; a socket that does not drain
 * within writeStallMsMax is closed).
 */
export class Connection {
  readonly seq = nextSeq++;
  readonly remote: string;
  readonly openedAt: number;
  state: 'hello' | 'ready' | 'closed' = 'hello';
  readyAt = 0;
  private readonly decoder: FrameDecoder;
  private queue: SendQueue | undefined;
  private readonly control: Uint8Array[] = [];
  private waitingDrain = false;
  private flushScheduled = false;
  private lastReceivedAt: number;
  private helloTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private pingPending = false;
  private retiring: { readonly reason: string; readonly timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly socket: TLSSocket,
    readonly peerId: string,
    readonly direction: Direction,
    private readonly o: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
    private readonly now: () => number,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.openedAt = now();
    this.lastReceivedAt = this.openedAt;
    this.decoder = new FrameDecoder(o.frameBytesMax);
  }

  /** Sends our hello and starts reading; the peer's hello must follow within handshakeTimeoutMs. */
  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.onDrain());
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.close(`socket error ${e.code ?? e.message}`));
    this.socket.on('end', () => this.close(this.retiring?.reason ?? 'peer ended the stream'));
    this.socket.on('close', () => this.close(this.retiring?.reason ?? 'socket closed'));
    this.helloTimer = setTimeout(() => this.close('no hello within the handshake timeout'), this.o.handshakeTimeoutMs);
    this.sendControl({ t: 'hello', v: P2P_PROTOCOL_VERSION, net: this.o.networkId });
  }

  /** Bytes accepted by the socket but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Starts writing from the peer's queue (this link became the peer's link). */
  attach(queue: SendQueue): void {
    this.queue = queue;
    this.scheduleFlush();
  }

  /** Stops writing from the queue (another link replaced this one); what is left stays for it. */
  detach(): void {
    this.queue = undefined;
  }

  /** Probes the link: a dead one fails on write or stays silent until the idle timeout. */
  ping(): void {
    if (this.pingPending || this.state !== 'ready') return;
    this.pingPending = true;
    this.sendControl({ t: 'ping' });
  }

  /**
   * Winds down a link that lost the one-link-per-peer tie-break without losing what is in flight:
   * nothing more is written and our side of the stream is ended, but frames the peer sent before it
   * saw our end are still read and delivered; the link closes when the peer ends its side (or after
   * handshakeTimeoutMs). What was still queued stays in the peer's queue for the surviving link.
   */
  retire(reason: string): void {
    if (this.state === 'closed' || this.retiring) return;
    this.queue = undefined;
    this.control.length = 0;
    clearInterval(this.pingTimer);
    clearTimeout(this.helloTimer);
    this.retiring = { reason, timer: setTimeout(() => this.close(reason), this.o.handshakeTimeoutMs) };
    this.socket.end();
  }

  scheduleFlush(): void {
    if (this.flushScheduled || this.state === 'closed' || this.retiring) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.stallTimer);
    clearTimeout(this.retiring?.timer);
    this.queue = undefined;
    this.control.length = 0;
    this.socket.destroy();
    this.hooks.closed(this, reason);
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  private sendControl(c: Control): void {
    if (this.control.length >= CONTROL_PENDING_MAX || this.retiring) return;
    this.control.push(encodeFrameBody(CONTROL_CHANNEL, encodeControl(c)));
    this.scheduleFlush();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.state === 'closed' || this.waitingDrain || this.retiring) return;
    let ok = true;
    let n = 0;
    this.socket.cork();
    while (ok && n < WRITES_PER_TURN_MAX) {
      let body = this.control.shift();
      let ch = CONTROL_CHANNEL;
      if (!body && this.state === 'ready' && this.queue) {
        const f = this.queue.shift();
        if (f) {
          body = f.body;
          ch = f.ch;
        }
      }
      if (!body) break;
      this.socket.write(frameHeader(body.length));
      ok = this.socket.write(body);
      n += 1;
      this.hooks.sent(this, ch, body.length);
    }
    this.socket.uncork();
    if (!ok) {
      this.waitingDrain = true;
      this.stallTimer = setTimeout(() => this.close(`peer stopped reading: socket not drained for ${this.o.writeStallMsMax} ms`), this.o.writeStallMsMax);
    } else if (n === WRITES_PER_TURN_MAX) {
      this.scheduleFlush();
    }
  }

  private onDrain(): void {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    clearTimeout(this.stallTimer);
    this.flush();
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.lastReceivedAt = this.now();
    this.decoder.push(chunk);
    while (!this.isClosed()) {
      let body: Buffer | undefined;
      let ch: number;
      let m: Uint8Array;
      try {
        body = this.decoder.next();
        if (!body) return;
        ({ ch, m } = decodeFrameBody(body, this.o.frameBytesMax));
      } catch (e) {
        const kind = isSalusError(e, 'OVERSIZE') ? 'oversize' : 'malformed';
        const detail = (e as Error).message;
        this.hooks.violation(this, kind, detail);
        this.close(`${kind} frame: ${detail}`);
        return;
      }
      if (this.state === 'hello') {
        this.onHello(ch, m);
        continue;
      }
      if (!this.hooks.admit(this, body.length)) continue;
      if (ch === CONTROL_CHANNEL) this.onControl(m);
      else this.hooks.message(this, ch, m, body.length);
    }
  }

  private onHello(ch: number, m: Uint8Array): void {
    let c: Control;
    try {
      if (ch !== CONTROL_CHANNEL) throw new SalusError('MALFORMED_ENCODING', 'first frame is not a hello');
      c = decodeControl(m);
      if (c.t !== 'hello') throw new SalusError('MALFORMED_ENCODING', 'first frame is not a hello');
    } catch (e) {
      this.hooks.violation(this, 'malformed', (e as Error).message);
      this.close(`malformed hello: ${(e as Error).message}`);
      return;
    }
    if (c.v !== P2P_PROTOCOL_VERSION) {
      this.hooks.refused(this, 'version-mismatch', `peer speaks protocol ${c.v}, we speak ${P2P_PROTOCOL_VERSION}`);
      this.close('protocol version mismatch');
      return;
    }
    if (c.net !== this.o.networkId) {
      this.hooks.refused(this, 'network-mismatch', 'peer is on another network');
      this.close('network mismatch');
      return;
    }
    clearTimeout(this.helloTimer);
    this.state = 'ready';
    this.readyAt = this.now();
    this.pingTimer = setInterval(() => this.onPingTimer(), this.o.pingIntervalMs);
    this.hooks.ready(this);
    this.scheduleFlush();
  }

  private onControl(m: Uint8Array): void {
    let c: Control;
    try {
      c = decodeControl(m);
    } catch (e) {
      this.hooks.violation(this, 'malformed', `control: ${(e as Error).message}`);
      this.close('malformed control message');
      return;
    }
    if (c.t === 'ping') this.sendControl({ t: 'pong' });
    else if (c.t === 'pong') this.pingPending = false;
    else {
      this.hooks.violation(this, 'malformed', 'second hello');
      this.close('second hello');
    }
  }

  private onPingTimer(): void {
    if (this.now() - this.lastReceivedAt >= this.o.idleTimeoutMs) {
      this.close(`idle: nothing received for ${this.o.idleTimeoutMs} ms`);
      return;
    }
    this.pingPending = false;
    this.ping();
  }
}
