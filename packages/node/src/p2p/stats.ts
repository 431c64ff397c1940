/** Per-channel counters (messages and bytes are counted per frame written or read). */
export interface ChannelStats {
  sent: number;
  bytesSent: number;
  received: number;
  bytesReceived: number;
  /** dropped from a full send queue */
  dropped: number;
}

/**
 * Monotonic counters, as plain numbers, for the node to export (Prometheus counters); `stats()`
 * adds the gauges of the moment beside them.
 */
export class P2PCounters {
  dialsStarted = 0;
  dialsFailed = 0;
  inboundAccepted = 0;
  inboundDroppedAtLimit = 0;
  handshakeFailures = 0;
  linksEstablished = 0;
  linksClosed = 0;
  duplicateLinksClosed = 0;
  refusedUnknownKey = 0;
  refusedWrongKey = 0;
  refusedBanned = 0;
  refusedOther = 0;
  messagesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  bytesReceived = 0;
  messagesDroppedQueueFull = 0;
  messagesDroppedNotConnected = 0;
  messagesDiscardedOnClose = 0;
  violationsMalformed = 0;
  violationsOversize = 0;
  violationsUnknownChannel = 0;
  violationsFlood = 0;
  violationsReported = 0;
  bans = 0;
}

export type P2PCounterName = keyof P2PCounters;

export interface P2PGauges {
  peersKnown: number;
  peersConnected: number;
  peersBanned: number;
  linksPending: number;
  sendQueueMessages: number;
  sendQueueBytes: number;
  socketBufferedBytes: number;
}

export type P2PStats = { readonly [K in P2PCounterName]: number } & Readonly<P2PGauges> & {
  readonly channels: Readonly<Record<string, Readonly<ChannelStats>>>;
};

export function emptyChannelStats(): ChannelStats {
  return { sent: 0, bytesSent: 0, received: 0, bytesReceived: 0, dropped: 0 };
}
