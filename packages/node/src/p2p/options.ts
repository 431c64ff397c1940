import { SalusError, LIMITS } from '@salus/core';

/** A peer to dial: its node id (the hex Ed25519 public key it must present) and its address. */
export interface PeerAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/**
 * The p2p transport's options (config.json `p2p`), with their defaults below. Every queue, frame,
 * rate and timer has a limit here; units are last in names.
 */
export interface P2POptions {
  /** interface and port to listen on; port 0 picks a free port (see P2P.address()) */
  readonly host: string;
  readonly port: number;
  /** exchanged in the hello: peers of another network (e.g. another chain id) are refused */
  readonly networkId: string;
  /** peers to dial and keep connected; their keys are also allowed inbound */
  readonly peers: readonly PeerAddress[];
  /** further keys (hex) allowed to connect inbound, besides `peers` and deps.allowedKeys */
  readonly allowedKeys: readonly string[];
  /** largest frame (length prefix excluded) accepted or sent */
  readonly frameBytesMax: number;
  /** per-peer send queue limits; beyond them the lowest-priority messages are dropped */
  readonly sendQueueMessagesMax: number;
  readonly sendQueueBytesMax: number;
  /** per-peer inbound token buckets: sustained rate, and the burst as seconds of that rate */
  readonly recvMessagesPerSec: number;
  readonly recvBytesPerSec: number;
  readonly recvBurstSec: number;
  /** inbound sockets at once (handshaking or established) */
  readonly inboundConnectionsMax: number;
  /** TCP connect + TLS handshake + hello, either direction */
  readonly handshakeTimeoutMs: number;
  /** a ping is sent this often; a link that has received nothing for idleTimeoutMs is closed */
  readonly pingIntervalMs: number;
  readonly idleTimeoutMs: number;
  /** a link whose socket has not drained for this long (the peer stopped reading) is closed */
  readonly writeStallMsMax: number;
  /** reconnection: exponential backoff with equal jitter, between these bounds */
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  /** a link that lasted this long resets the backoff to its first step */
  readonly stableLinkMs: number;
  /** peer scoring: penalties subtract from 0; at or below the threshold the peer is banned */
  readonly penaltyMalformed: number;
  readonly penaltyOversize: number;
  readonly penaltyUnknownChannel: number;
  readonly penaltyFlood: number;
  readonly scoreBanThreshold: number;
  readonly scoreRecoveryPerSec: number;
  readonly banMs: number;
}

export const defaultP2POptions: P2POptions = {
  host: '127.0.0.1',
  port: 26656,
  networkId: 'salus',
  peers: [],
  allowedKeys: [],
  frameBytesMax: Math.max(4 * 1024 * 1024, LIMITS.txBytesMax * 2),
  sendQueueMessagesMax: 10_000,
  sendQueueBytesMax: 16 * 1024 * 1024,
  recvMessagesPerSec: 20_000,
  recvBytesPerSec: 32 * 1024 * 1024,
  recvBurstSec: 2,
  inboundConnectionsMax: 64,
  handshakeTimeoutMs: 10_000,
  pingIntervalMs: 10_000,
  idleTimeoutMs: 45_000,
  writeStallMsMax: 60_000,
  backoffMsMin: 250,
  backoffMsMax: 30_000,
  stableLinkMs: 10_000,
  penaltyMalformed: 100,
  penaltyOversize: 100,
  penaltyUnknownChannel: 10,
  penaltyFlood: 5,
  scoreBanThreshold: -100,
  scoreRecoveryPerSec: 1,
  banMs: 5 * 60_000,
};

export type P2POptionsInput = Partial<P2POptions>;

const HEX_KEY = /^[0-9a-f]{64}$/;

export function checkPeerId(id: unknown, field: string): string {
  if (typeof id !== 'string' || !HEX_KEY.test(id)) throw new SalusError('CONFIG', `${field} must be a 64-character lowercase hex Ed25519 key`);
  return id;
}

function checkInt(v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new SalusError('CONFIG', `${field} must be an integer from ${min} to ${max}`);
  }
}

export function checkPeerAddress(p: PeerAddress, field: string): PeerAddress {
  if (typeof p !== 'object' || p === null) throw new SalusError('CONFIG', `${field} must be {id, host, port}`);
  checkPeerId(p.id, `${field}.id`);
  if (typeof p.host !== 'string' || p.host.length === 0 || p.host.length > 253) throw new SalusError('CONFIG', `${field}.host must be a host name or address`);
  checkInt(p.port, `${field}.port`, 1, 65_535);
  return { id: p.id, host: p.host, port: p.port };
}

/** Defaults overlaid with the input, then checked; a bad value is a CONFIG error naming the field. */
export function mergeP2POptions(input: P2POptionsInput = {}): P2POptions {
  const o: P2POptions = { ...defaultP2POptions, ...input };
  if (typeof o.host !== 'string' || o.host.length === 0) throw new SalusError('CONFIG', 'p2p.host must be a host name or address');
  checkInt(o.port, 'p2p.port', 0, 65_535);
  if (typeof o.networkId !== 'string' || o.networkId.length === 0 || o.networkId.length > 64) {
    throw new SalusError('CONFIG', 'p2p.networkId must be a string of 1-64 characters');
  }
  if (!Array.isArray(o.peers) || o.peers.length > 1_000) throw new SalusError('CONFIG', 'p2p.peers must be a list of at most 1000');
  if (!Array.isArray(o.allowedKeys) || o.allowedKeys.length > 10_000) throw new SalusError('CONFIG', 'p2p.allowedKeys must be a list of at most 10000');
  const peers = o.peers.map((p, i) => checkPeerAddress(p, `p2p.peers[${i}]`));
  o.allowedKeys.forEach((k, i) => checkPeerId(k, `p2p.allowedKeys[${i}]`));
  checkInt(o.frameBytesMax, 'p2p.frameBytesMax', 1024, 64 * 1024 * 1024);
  checkInt(o.sendQueueMessagesMax, 'p2p.sendQueueMessagesMax', 1, 10_000_000);
  checkInt(o.sendQueueBytesMax, 'p2p.sendQueueBytesMax', o.frameBytesMax, 4 * 1024 * 1024 * 1024);
  checkInt(o.recvMessagesPerSec, 'p2p.recvMessagesPerSec', 1, 100_000_000);
  checkInt(o.recvBytesPerSec, 'p2p.recvBytesPerSec', 1, 100 * 1024 * 1024 * 1024);
  if (typeof o.recvBurstSec !== 'number' || !(o.recvBurstSec > 0) || o.recvBurstSec > 3_600) throw new SalusError('CONFIG', 'p2p.recvBurstSec must be a number in (0, 3600]');
  if (o.recvBytesPerSec * o.recvBurstSec < o.frameBytesMax) throw new SalusError('CONFIG', 'p2p.recvBytesPerSec × recvBurstSec must admit at least one frame of frameBytesMax');
  checkInt(o.inboundConnectionsMax, 'p2p.inboundConnectionsMax', 1, 100_000);
  for (const k of ['handshakeTimeoutMs', 'pingIntervalMs', 'idleTimeoutMs', 'writeStallMsMax', 'backoffMsMin', 'backoffMsMax', 'stableLinkMs', 'banMs'] as const) {
    checkInt(o[k], `p2p.${k}`, 1, 24 * 3_600_000);
  }
  if (o.idleTimeoutMs <= o.pingIntervalMs) throw new SalusError('CONFIG', 'p2p.idleTimeoutMs must exceed p2p.pingIntervalMs');
  if (o.backoffMsMax < o.backoffMsMin) throw new SalusError('CONFIG', 'p2p.backoffMsMax must be at least p2p.backoffMsMin');
  for (const k of ['penaltyMalformed', 'penaltyOversize', 'penaltyUnknownChannel', 'penaltyFlood', 'scoreRecoveryPerSec'] as const) {
    checkInt(o[k], `p2p.${k}`, 0, 1_000_000);
  }
  checkInt(o.scoreBanThreshold, 'p2p.scoreBanThreshold', -1_000_000, -1);
  return { ...o, peers, allowedKeys: [...o.allowedKeys] };
}
