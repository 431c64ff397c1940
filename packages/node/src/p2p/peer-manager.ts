import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Channel } from './channels.js';
import { Connection, type ConnectionHooks, type Direction } from './connection.js';
import type { Dialer } from './dialer.js';
import { Listeners, type MessageHandler, type PeerBannedHandler, type PeerConnectedHandler, type PeerDisconnectedHandler, type PeerRefusedHandler } from './events.js';
import { checkPeerId, type P2POptions } from './options.js';
import { LINKS_PER_PEER_MAX, PeerState } from './peer.js';
import type { Violation } from './score.js';
import { P2PCounters, emptyChannelStats, type ChannelStats } from './stats.js';
import { checkPeer, type RefusalReason } from './tls-identity.js';

export const shortId = (id: string): string => id.slice(0, 16);

const VIOLATION_COUNTER = {
  malformed: 'violationsMalformed',
  oversize: 'violationsOversize',
  'unknown-channel': 'violationsUnknownChannel',
  flood: 'violationsFlood',
  reported: 'violationsReported',
} as const;

const REFUSAL_COUNTER: Partial<Record<RefusalReason, 'refusedUnknownKey' | 'refusedWrongKey' | 'refusedBanned'>> = {
  'unknown-key': 'refusedUnknownKey',
  'wrong-key': 'refusedWrongKey',
  banned: 'refusedBanned',
};

/**
 * The transport's bookkeeping of peers and their links: who may connect, pinning each new link,
 * keeping one link per peer (when both sides dial at once, the link dialled by the lower id wins on
 * both sides; between two links of one direction the newer wins, as the older is likely dead),
 * scoring and banning, and asking the dialer to redial a peer left without a link.
 */
export class PeerManager {
  readonly counters = new P2PCounters();
  readonly channelStats = new Map<number, ChannelStats>();
  readonly table = new Map<string, PeerState>();
  readonly ev: {
    readonly message: Listeners<MessageHandler>;
    readonly connected: Listeners<PeerConnectedHandler>;
    readonly disconnected: Listeners<PeerDisconnectedHandler>;
    readonly refused: Listeners<PeerRefusedHandler>;
    readonly banned: Listeners<PeerBannedHandler>;
  };
  dialer: Dialer | undefined;
  running = false;
  private allowed = new Set<string>();
  private readonly hooks: ConnectionHooks;

  constructor(
    readonly self: string,
    private readonly opts: P2POptions,
    private readonly channels: ReadonlyMap<number, Channel>,
    private readonly log: Logger,
    readonly now: () => number,
  ) {
    for (const ch of channels.keys()) this.channelStats.set(ch, emptyChannelStats());
    this.ev = {
      message: new Listeners('message', log),
      connected: new Listeners('peer-connected', log),
      disconnected: new Listeners('peer-disconnected', log),
      refused: new Listeners('peer-refused', log),
      banned: new Listeners('peer-banned', log),
    };
    this.hooks = {
      ready: (c) => this.linkReady(c),
      refused: (c, reason, detail) => {
        this.counters.refusedOther += 1;
        this.log.warn({ peer: shortId(c.peerId), remote: c.remote, direction: c.direction, reason, detail }, 'peer refused');
        this.ev.refused.emit({ peerId: c.peerId, remote: c.remote, direction: c.direction, reason });
      },
      admit: (c, bytes) => {
        const p = this.table.get(c.peerId)!;
        if (p.limiter.admit(bytes)) return true;
        this.penalize(p, 'flood', this.opts.penaltyFlood, 'inbound rate limit exceeded; frame dropped');
        return false;
      },
      message: (c, ch, m, bytes) => this.linkMessage(c, ch, m, bytes),
      violation: (c, kind, detail) => {
        const p = this.table.get(c.peerId)!;
        const points = kind === 'oversize' ? this.opts.penaltyOversize : this.opts.penaltyMalformed;
        this.penalize(p, kind, points, detail);
      },
      sent: (_c, ch, bytes) => {
        this.counters.bytesSent += bytes;
        const s = this.channelStats.get(ch);
        if (!s) return;
        this.counters.messagesSent += 1;
        s.sent += 1;
        s.bytesSent += bytes;
      },
      closed: (c, reason) => this.linkClosed(c, reason),
    };
  }

  setAllowed(ids: Iterable<string>): void {
    const s = new Set<string>();
    for (const k of [...this.opts.allowedKeys, ...ids]) s.add(checkPeerId(k, 'allowed key'));
    this.allowed = s;
    for (const p of [...this.table.values()]) if (!this.isAllowed(p.id)) this.forget(p, 'key no longer allowed');
  }

  isAllowed(id: string): boolean {
    return this.allowed.has(id) || this.table.get(id)?.address !== undefined;
  }

  peerFor(id: string): PeerState {
    let p = this.table.get(id);
    if (!p) {
      p = new PeerState(id, this.opts, this.now, (ch) => {
        this.counters.messagesDroppedQueueFull += 1;
        const s = this.channelStats.get(ch);
        if (s) s.dropped += 1;
      });
      this.table.set(id, p);
    }
    return p;
  }

  forget(p: PeerState, reason: string): void {
    this.dialer?.cancel(p);
    for (const l of [...p.links]) l.close(reason);
    this.table.delete(p.id);
  }

  closeAll(reason: string): void {
    for (const p of this.table.values()) {
      this.dialer?.cancel(p);
      for (const l of [...p.links]) l.close(reason);
    }
  }

  /** Whether the dialer should dial this peer now. */
  wanted(p: PeerState): boolean {
    return this.running && p.address !== undefined && !p.link && p.links.size === 0;
  }

  onInbound(socket: TLSSocket): void {
    socket.on('error', () => undefined);
    if (!this.running) return void socket.destroy();
    const r = checkPeer(socket, { allowed: (id) => this.isAllowed(id) }, this.self);
    if (!r.ok) return this.refuse(socket, 'in', r.reason, r.id);
    const p = this.peerFor(r.id);
    if (p.score.isBanned()) return this.refuse(socket, 'in', 'banned', r.id);
    if (p.links.size >= LINKS_PER_PEER_MAX) return this.refuse(socket, 'in', 'too-many-connections', r.id);
    this.open(p, socket, 'in');
  }

  onOutbound(p: PeerState, socket: TLSSocket): void {
    if (!this.running) return void socket.destroy();
    const r = checkPeer(socket, { expected: p.id }, this.self);
    let refusal: RefusalReason | undefined = r.ok ? undefined : r.reason;
    if (!refusal && p.score.isBanned()) refusal = 'banned';
    if (!refusal && p.links.size >= LINKS_PER_PEER_MAX) refusal = 'too-many-connections';
    if (!refusal) return this.open(p, socket, 'out');
    const detail = refusal === 'wrong-key' && r.id ? `dialled ${shortId(p.id)}, certificate holds ${shortId(r.id)}` : undefined;
    this.refuse(socket, 'out', refusal, p.id, detail);
    this.dialFailed(p, refusal);
  }

  dialFailed(p: PeerState, reason: string): void {
    this.counters.dialsFailed += 1;
    p.attempts += 1;
    this.log.debug({ peer: shortId(p.id), reason, attempts: p.attempts }, 'dial failed');
    this.dialer?.schedule(p);
  }

  penalize(p: PeerState, kind: Violation, points: number, detail: string): void {
    this.counters[VIOLATION_COUNTER[kind]] += 1;
    const banned = p.score.penalize(points);
    const level = kind === 'flood' || kind === 'unknown-channel' ? 'debug' : 'warn';
    this.log[level]({ peer: shortId(p.id), violation: kind, detail, score: Math.round(p.score.current) }, 'peer misbehaved');
    if (!banned) return;
    this.counters.bans += 1;
    const reason = `${kind}: ${detail}`;
    this.log.warn({ peer: shortId(p.id), reason, banMs: this.opts.banMs }, 'peer banned');
    this.ev.banned.emit(p.id, reason, this.opts.banMs);
    for (const l of [...p.links]) l.close(`banned (${reason})`);
    this.dialer?.cancel(p);
    this.dialer?.schedule(p);
  }

  private refuse(socket: TLSSocket, direction: Direction, reason: RefusalReason, id: string | undefined, detail?: string): void {
    this.counters[REFUSAL_COUNTER[reason] ?? 'refusedOther'] += 1;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.log.warn({ ...(id ? { peer: shortId(id) } : {}), remote, direction, reason, ...(detail ? { detail } : {}) }, 'peer refused');
    this.ev.refused.emit({ ...(id ? { peerId: id } : {}), remote, direction, reason });
    socket.destroy();
  }

  private open(p: PeerState, socket: TLSSocket, direction: Direction): void {
    const c = new Connection(socket, p.id, direction, this.opts, this.hooks, this.now);
    p.links.add(c);
    c.start();
  }

  private linkReady(c: Connection): void {
    const p = this.table.get(c.peerId);
    if (!p || !this.running) return c.close('not accepting links');
    const cur = p.link;
    if (cur) {
      this.counters.duplicateLinksClosed += 1;
      const preferred: Direction = this.self < p.id ? 'out' : 'in';
      const keepNew = cur.direction === c.direction || c.direction === preferred;
      this.log.debug({ peer: shortId(p.id), kept: keepNew ? c.direction : cur.direction }, 'duplicate link');
      if (!keepNew) {
        cur.ping();
        return c.retire('duplicate link: keeping the existing one');
      }
      cur.detach();
      p.link = c;
      c.attach(p.queue);
      return cur.retire('duplicate link: replaced by a newer one');
    }
    p.link = c;
    this.counters.linksEstablished += 1;
    this.dialer?.cancel(p);
    c.attach(p.queue);
    this.log.info({ peer: shortId(p.id), remote: c.remote, direction: c.direction }, 'peer connected');
    this.ev.connected.emit(p.id, { direction: c.direction, remote: c.remote });
  }

  private linkMessage(c: Connection, ch: number, m: Uint8Array, bytes: number): void {
    const p = this.table.get(c.peerId)!;
    const channel = this.channels.get(ch);
    if (!channel) return this.penalize(p, 'unknown-channel', this.opts.penaltyUnknownChannel, `channel ${ch}`);
    if (m.length > channel.messageBytesMax) {
      const detail = `message of ${m.length} bytes exceeds channel ${channel.name}'s ${channel.messageBytesMax}`;
      this.penalize(p, 'oversize', this.opts.penaltyOversize, detail);
      return c.close(`oversize message: ${detail}`);
    }
    this.counters.messagesReceived += 1;
    this.counters.bytesReceived += bytes;
    const s = this.channelStats.get(ch)!;
    s.received += 1;
    s.bytesReceived += bytes;
    this.ev.message.emit(p.id, ch, m);
  }

  private linkClosed(c: Connection, reason: string): void {
    const p = this.table.get(c.peerId);
    if (!p) return;
    p.links.delete(c);
    if (c.readyAt === 0 && c.direction === 'out' && this.running) this.dialFailed(p, reason);
    if (p.link === c) {
      p.link = undefined;
      this.counters.linksClosed += 1;
      p.attempts = this.now() - c.readyAt >= this.opts.stableLinkMs ? 0 : p.attempts + 1;
      p.lastDisconnect = reason;
      this.log.info({ peer: shortId(p.id), remote: c.remote, reason }, 'peer disconnected');
      this.ev.disconnected.emit(p.id, reason);
    }
    // The queue waits for a link still in its hello (the other end of a simultaneous dial), else it goes.
    if (!p.link && p.links.size === 0) this.counters.messagesDiscardedOnClose += p.queue.clear();
    if (this.running) this.dialer?.schedule(p);
  }
}
