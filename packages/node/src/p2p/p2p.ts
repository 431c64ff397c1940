import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { SalusError, toHex, type IdentityKeys } from '@salus/core';
import { channelTable, type Channel, type ChannelDescriptor } from './channels.js';
import { P2P_ALPN } from './control.js';
import { Dialer } from './dialer.js';
import type { MessageHandler, PeerBannedHandler, PeerConnectedHandler, PeerDisconnectedHandler, PeerRefusedHandler } from './events.js';
import { encodeFrameBody } from './frame.js';
import { checkPeerAddress, mergeP2POptions, type P2POptions, type P2POptionsInput, type PeerAddress } from './options.js';
import type { PeerInfo } from './peer.js';
import { PeerManager, shortId } from './peer-manager.js';
import type { ChannelStats, P2PStats } from './stats.js';
import { createTlsIdentity } from './tls-identity.js';

export interface P2PDeps {
  /** the node's identity keys: the signing pair is the TLS key, its public half the node id */
  readonly keys: IdentityKeys;
  readonly logger: Logger;
  /** the channels the layer above uses (ids 1-255; 0 is the transport's own) */
  readonly channels: readonly ChannelDescriptor[];
  /** keys allowed inbound besides opts.peers and opts.allowedKeys: typically the genesis validators */
  readonly allowedKeys?: Iterable<string>;
  /** monotonic clock in ms, and randomness in [0, 1) for backoff jitter (injectable for tests) */
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * The node's peer-to-peer transport: authenticated, encrypted links (TLS 1.3, each node's
 * certificate key pinned to its Ed25519 node key) carrying length-prefixed frames on numbered
 * channels, with one link per peer pair, bounded per-peer send queues, inbound rate limits, peer
 * scoring and bans, and reconnection with backoff. It knows nothing of what the messages mean.
 *
 * Delivery is best effort and in order per link: a message still queued when a link drops is lost,
 * so the layer above re-sends what a peer needs when it (re)connects, as Tendermint's gossip does.
 */
export class P2P {
  /** this node's id: its Ed25519 public key, hex */
  readonly id: string;
  readonly opts: P2POptions;
  private readonly log: Logger;
  private readonly channels: ReadonlyMap<number, Channel>;
  private readonly mgr: PeerManager;
  private readonly random: () => number;
  private readonly rawSockets = new Set<Socket>();
  private server: Server | undefined;
  private dialer: Dialer | undefined;
  private bound: { host: string; port: number } | undefined;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private starting: Promise<unknown> | undefined;

  constructor(opts: P2POptionsInput, private readonly deps: P2PDeps) {
    this.opts = mergeP2POptions(opts);
    this.id = toHex(deps.keys.signing.publicKey);
    this.log = deps.logger.child({ mod: 'p2p', node: shortId(this.id) });
    this.channels = channelTable(deps.channels, this.opts.frameBytesMax);
    this.random = deps.random ?? Math.random;
    this.mgr = new PeerManager(this.id, this.opts, this.channels, this.log, deps.now ?? (() => performance.now()));
    this.mgr.setAllowed(deps.allowedKeys ?? []);
    for (const p of this.opts.peers) if (p.id !== this.id) this.mgr.peerFor(p.id).address = p;
  }

  /** Builds the TLS identity, listens, and starts dialling the configured peers; resolves with the bound address. */
  start(): Promise<{ host: string; port: number }> {
    if (this.state !== 'new') return Promise.reject(new SalusError('CONFLICT', 'p2p was already started'));
    this.state = 'starting';
    const started = this.listenAndDial();
    this.starting = started;
    return started;
  }

  private async listenAndDial(): Promise<{ host: string; port: number }> {
    const identity = await createTlsIdentity(this.deps.keys.signing);
    if (this.state !== 'starting') throw new SalusError('CONFLICT', 'p2p was closed while starting');
    const server = createServer({
      ...identity.contextOptions(),
      requestCert: true,
      // Peers present self-signed certificates: each is pinned by key (PeerManager.onInbound), never judged by a CA.
      rejectUnauthorized: false,
      ALPNProtocols: [P2P_ALPN],
      handshakeTimeout: this.opts.handshakeTimeoutMs,
    });
    server.maxConnections = this.opts.inboundConnectionsMax;
    server.on('connection', (s: Socket) => {
      this.mgr.counters.inboundAccepted += 1;
      this.rawSockets.add(s);
      s.once('close', () => this.rawSockets.delete(s));
    });
    server.on('drop', () => (this.mgr.counters.inboundDroppedAtLimit += 1));
    server.on('tlsClientError', (e: NodeJS.ErrnoException, s: TLSSocket) => {
      this.mgr.counters.handshakeFailures += 1;
      this.log.debug({ remote: `${s.remoteAddress}:${s.remotePort}`, err: e.code ?? e.message }, 'inbound TLS handshake failed');
    });
    server.on('secureConnection', (s: TLSSocket) => this.mgr.onInbound(s));
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.opts.port, this.opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.state = 'closed';
      throw new SalusError('CONFIG', `p2p cannot listen on ${this.opts.host}:${this.opts.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    server.on('error', (e: Error) => this.log.error({ err: e.message }, 'p2p server error'));
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    const mgr = this.mgr;
    this.dialer = new Dialer(this.opts, identity, {
      wanted: (p) => mgr.wanted(p),
      secure: (p, s) => mgr.onOutbound(p, s),
      failed: (p, reason) => mgr.dialFailed(p, reason),
    }, { now: mgr.now, random: this.random, onDial: () => (mgr.counters.dialsStarted += 1) });
    mgr.dialer = this.dialer;
    if (this.state !== 'starting') {
      await this.shutdown();
      throw new SalusError('CONFLICT', 'p2p was closed while starting');
    }
    this.state = 'running';
    mgr.running = true;
    for (const p of mgr.table.values()) this.dialer.schedule(p);
    this.log.info({ listen: `${this.bound.host}:${this.bound.port}`, peers: this.opts.peers.length }, 'p2p listening');
    return this.bound;
  }

  /** The bound address, once started. */
  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** Keeps a peer dialled (its key becomes allowed), e.g. one learned after start. */
  addPeer(address: PeerAddress): void {
    const a = checkPeerAddress(address, 'peer');
    if (a.id === this.id) throw new SalusError('CONFIG', 'a node cannot be its own peer');
    const p = this.mgr.peerFor(a.id);
    p.address = a;
    this.dialer?.schedule(p);
  }

  /** Stops dialling a peer; its link stays while its key is otherwise allowed. */
  removePeer(id: string): void {
    const p = this.mgr.table.get(id);
    if (!p) return;
    p.address = undefined;
    this.dialer?.cancel(p);
    if (!this.mgr.isAllowed(id)) this.mgr.forget(p, 'peer removed');
  }

  /** Replaces the keys allowed inbound besides the dialled peers and opts.allowedKeys (after a validator set change, say); links of keys no longer allowed are closed. */
  setAllowedKeys(ids: Iterable<string>): void {
    this.mgr.setAllowed(ids);
  }

  /** Queues a message for one peer; false when the peer has no link or the message was dropped. */
  send(peerId: string, channel: number, bytes: Uint8Array): boolean {
    const ch = this.checkOutgoing(channel, bytes);
    const p = this.mgr.table.get(peerId);
    if (!p?.link) {
      this.mgr.counters.messagesDroppedNotConnected += 1;
      return false;
    }
    const ok = p.queue.push({ ch: ch.id, priority: ch.priority, body: encodeFrameBody(ch.id, bytes) });
    p.link.scheduleFlush();
    return ok;
  }

  /** Queues a message for every connected peer but `except`; returns how many peers queued it. The frame is encoded once and shared. */
  broadcast(channel: number, bytes: Uint8Array, except?: string | Iterable<string>): number {
    const ch = this.checkOutgoing(channel, bytes);
    const skip = new Set(typeof except === 'string' ? [except] : (except ?? []));
    const body = encodeFrameBody(ch.id, bytes);
    let n = 0;
    for (const p of this.mgr.table.values()) {
      if (!p.link || skip.has(p.id)) continue;
      if (p.queue.push({ ch: ch.id, priority: ch.priority, body })) n += 1;
      p.link.scheduleFlush();
    }
    return n;
  }

  /** Lets the layer above penalise a peer (an invalid signature, say); enough points ban it. */
  report(peerId: string, points: number, reason: string): void {
    const p = this.mgr.table.get(peerId);
    if (p && Number.isSafeInteger(points) && points > 0) this.mgr.penalize(p, 'reported', points, reason);
  }

  /** Handlers run synchronously on the socket's read path: queue the work, do not do it there. */
  onMessage(h: MessageHandler): () => void {
    return this.mgr.ev.message.add(h);
  }
  onPeerConnected(h: PeerConnectedHandler): () => void {
    return this.mgr.ev.connected.add(h);
  }
  onPeerDisconnected(h: PeerDisconnectedHandler): () => void {
    return this.mgr.ev.disconnected.add(h);
  }
  onPeerRefused(h: PeerRefusedHandler): () => void {
    return this.mgr.ev.refused.add(h);
  }
  onPeerBanned(h: PeerBannedHandler): () => void {
    return this.mgr.ev.banned.add(h);
  }

  connectedPeers(): string[] {
    return [...this.mgr.table.values()].filter((p) => p.link).map((p) => p.id);
  }

  peers(): PeerInfo[] {
    const now = this.mgr.now();
    return [...this.mgr.table.values()].map((p) => p.info(now));
  }

  /** Counters and gauges as plain numbers, for the node's metrics. */
  stats(): P2PStats {
    const g = { peersKnown: this.mgr.table.size, peersConnected: 0, peersBanned: 0, linksPending: 0, sendQueueMessages: 0, sendQueueBytes: 0, socketBufferedBytes: 0 };
    for (const p of this.mgr.table.values()) {
      if (p.link) g.peersConnected += 1;
      if (p.score.isBanned()) g.peersBanned += 1;
      g.linksPending += p.links.size - (p.link ? 1 : 0);
      g.sendQueueMessages += p.queue.messages;
      g.sendQueueBytes += p.queue.bytes;
      g.socketBufferedBytes += p.link?.bufferedBytes ?? 0;
    }
    const channels: Record<string, ChannelStats> = {};
    for (const [id, s] of this.mgr.channelStats) channels[this.channels.get(id)!.name] = { ...s };
    return { ...this.mgr.counters, ...g, channels };
  }

  /** Closes every link and the listener; resolves once the listening socket is closed. Idempotent. */
  close(): Promise<void> {
    const wasStarting = this.state === 'starting';
    this.state = 'closed';
    this.mgr.running = false;
    // A start still under way sees the state change and shuts down itself once it is listening.
    this.closing ??= wasStarting ? this.starting!.then(() => undefined, () => undefined) : this.shutdown();
    return this.closing;
  }

  private checkOutgoing(channel: number, bytes: Uint8Array): Channel {
    const ch = this.channels.get(channel);
    if (!ch) throw new SalusError('INVALID_FIELD', `p2p channel ${channel} is not registered`);
    if (!(bytes instanceof Uint8Array)) throw new SalusError('INVALID_FIELD', 'p2p messages are bytes');
    if (bytes.length > ch.messageBytesMax) throw new SalusError('OVERSIZE', `message of ${bytes.length} bytes exceeds channel ${ch.name}'s limit of ${ch.messageBytesMax}`);
    return ch;
  }

  private async shutdown(): Promise<void> {
    this.dialer?.close();
    this.mgr.closeAll('shutting down');
    for (const s of this.rawSockets) s.destroy();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.log.info('p2p closed');
  }
}
