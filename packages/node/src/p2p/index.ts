/**
 * The node's peer-to-peer transport (ADR 0004). Generic: it moves bytes on numbered channels
 * between pinned peers and knows nothing of consensus or health care. Typical use by a reactor:
 *
 *   const p2p = new P2P(opts.p2p, { keys: nodeKeys, logger, channels: [
 *     { id: 1, name: 'votes', priority: 10, messageBytesMax: 4096 },
 *     { id: 4, name: 'txs', priority: 1 },
 *   ], allowedKeys: genesis.validators.map((v) => v.pubKey) });
 *   p2p.onMessage((peer, ch, bytes) => inbox.push({ peer, ch, bytes }));   // queue, then step
 *   p2p.onPeerConnected((peer) => resendStateTo(peer));                     // delivery is best effort
 *   await p2p.start();
 *   p2p.broadcast(1, voteBytes);
 *   p2p.send(peer, 4, txBytes);
 *   p2p.report(peer, 50, 'invalid vote signature');
 *   await p2p.close();
 */
export * from './p2p.js';
export * from './options.js';
export * from './channels.js';
export type { PeerInfo, PeerStatus } from './peer.js';
export type { P2PStats, ChannelStats } from './stats.js';
export type { MessageHandler, PeerConnectedHandler, PeerDisconnectedHandler, PeerRefusedHandler, PeerBannedHandler } from './events.js';
export type { Direction } from './connection.js';
export type { RefusalReason } from './tls-identity.js';
export type { Violation } from './score.js';
// Wire-level pieces, exported for tools and tests that speak the protocol by hand.
export { createTlsIdentity, certificateKey, TlsIdentity } from './tls-identity.js';
export { P2P_ALPN, P2P_PROTOCOL_VERSION, encodeControl, decodeControl, type Control } from './control.js';
export { FrameDecoder, FRAME_HEADER_BYTES, encodeFrame, encodeFrameBody, decodeFrameBody, frameHeader, type Frame } from './frame.js';
export { SendQueue, type QueuedFrame } from './send-queue.js';
export { TokenBucket, RateLimiter } from './token-bucket.js';
export { backoffDelayMs } from './backoff.js';
export { PeerScore } from './score.js';
