import { SalusError } from '@salus/core';

/** Channel 0 carries the transport's own control messages (hello, ping, pong). */
export const CONTROL_CHANNEL = 0;
export const CHANNEL_ID_MAX = 255;
export const CHANNEL_PRIORITY_MAX = 1_000;

/**
 * A channel the layer above registers (CometBFT's ChannelDescriptor). The transport only moves
 * bytes: it never looks inside a message.
 *
 * - `priority` (1..1000): when a peer's send queue is full, messages of lower-priority channels are
 *   dropped first; when several channels have messages waiting, each gets a share of the link in
 *   proportion to its priority.
 * - `messageBytesMax`: largest message accepted on this channel, in either direction; a larger
 *   one received is an oversize violation. Defaults to the largest that fits in a frame.
 */
export interface ChannelDescriptor {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
  readonly messageBytesMax?: number;
}

export interface Channel {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
  readonly messageBytesMax: number;
}

/** Bytes a frame adds around a message: CBOR map header, the two keys, the channel and the byte-string header. */
export const FRAME_OVERHEAD_BYTES_MAX = 16;

export function channelTable(descriptors: readonly ChannelDescriptor[], frameBytesMax: number): ReadonlyMap<number, Channel> {
  if (!Array.isArray(descriptors) || descriptors.length === 0 || descriptors.length > CHANNEL_ID_MAX) {
    throw new SalusError('CONFIG', `p2p needs 1 to ${CHANNEL_ID_MAX} channels`);
  }
  const fit = frameBytesMax - FRAME_OVERHEAD_BYTES_MAX;
  const table = new Map<number, Channel>();
  const names = new Set<string>();
  for (const d of descriptors) {
    if (!Number.isSafeInteger(d.id) || d.id < 1 || d.id > CHANNEL_ID_MAX) throw new SalusError('CONFIG', `channel id must be 1-${CHANNEL_ID_MAX}, got ${String(d.id)}`);
    if (table.has(d.id)) throw new SalusError('CONFIG', `channel ${d.id} is registered twice`);
    if (typeof d.name !== 'string' || !/^[a-z][a-z0-9_]{0,31}$/.test(d.name) || names.has(d.name)) {
      throw new SalusError('CONFIG', `channel ${d.id} needs a unique name of 1-32 lowercase letters, digits or _`);
    }
    if (!Number.isSafeInteger(d.priority) || d.priority < 1 || d.priority > CHANNEL_PRIORITY_MAX) {
      throw new SalusError('CONFIG', `channel ${d.name} priority must be 1-${CHANNEL_PRIORITY_MAX}`);
    }
    const max = d.messageBytesMax ?? fit;
    if (!Number.isSafeInteger(max) || max < 1 || max > fit) throw new SalusError('CONFIG', `channel ${d.name} messageBytesMax must be 1-${fit}`);
    names.add(d.name);
    table.set(d.id, { id: d.id, name: d.name, priority: d.priority, messageBytesMax: max });
  }
  return table;
}
