import { SalusError, encode, sha256, toHex, v, type Canonical } from '@salus/core';

/**
 * A packet (IBC's shape, kept small): sent on `sourceChannel` of one chain to `destChannel` of the
 * other, numbered per source channel, addressed to a port (an application), carrying the
 * application's data, and receivable only below `timeoutHeight` of the destination chain.
 */
export interface Packet {
  readonly sequence: number;
  readonly sourceChannel: string;
  readonly destChannel: string;
  readonly port: string;
  readonly data: { readonly [key: string]: Canonical };
  /** the destination chain's height from which the packet can no longer be received (refundable instead) */
  readonly timeoutHeight: number;
}

/** The answer of the destination's application: success, or an error that refunds the sender. */
export type Acknowledgement = { readonly ok: true } | { readonly error: string };

export const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const PORT_ID = /^[a-z][a-z0-9-]{0,31}$/;
/** the most bytes of an application's data in one packet (canonical CBOR) */
export const PACKET_DATA_MAX = 4096;

export function packetCanonical(p: Packet): Canonical {
  return { sequence: p.sequence, sourceChannel: p.sourceChannel, destChannel: p.destChannel, port: p.port, data: p.data, timeoutHeight: p.timeoutHeight };
}

/** What the source chain commits to in state: SHA-256 of the packet's canonical bytes. */
export function packetCommitment(p: Packet): Uint8Array {
  return sha256(encode(packetCanonical(p)));
}

/** What the destination chain commits to in state for its answer. */
export function ackCommitment(a: Acknowledgement): Uint8Array {
  return sha256(encode(a as Canonical));
}

export function parsePacket(x: unknown, field = 'packet'): Packet {
  const r = v.record(x, field);
  v.onlyKeys(r, ['sequence', 'sourceChannel', 'destChannel', 'port', 'data', 'timeoutHeight'], field);
  const data = v.record(r.data, `${field}.data`) as { [key: string]: Canonical };
  if (encode(data).length > PACKET_DATA_MAX) throw new SalusError('OVERSIZE', `packet data is at most ${PACKET_DATA_MAX} bytes`);
  const sequence = v.uint(r.sequence, `${field}.sequence`);
  if (sequence < 1) throw new SalusError('INVALID_FIELD', 'packet sequences start at 1', { field: `${field}.sequence` });
  return {
    sequence,
    sourceChannel: v.str(r.sourceChannel, `${field}.sourceChannel`, 32, CHANNEL_ID),
    destChannel: v.str(r.destChannel, `${field}.destChannel`, 32, CHANNEL_ID),
    port: v.str(r.port, `${field}.port`, 32, PORT_ID),
    data,
    timeoutHeight: v.uint(r.timeoutHeight, `${field}.timeoutHeight`),
  };
}

export function parseAck(x: unknown, field = 'ack'): Acknowledgement {
  const r = v.record(x, field);
  if ('ok' in r) {
    v.onlyKeys(r, ['ok'], field);
    if (r.ok !== true) throw new SalusError('INVALID_FIELD', `${field}.ok must be true`, { field: `${field}.ok` });
    return { ok: true };
  }
  v.onlyKeys(r, ['error'], field);
  return { error: v.str(r.error, `${field}.error`, 256) };
}

export const isOk = (a: Acknowledgement): a is { ok: true } => 'ok' in a;
export const packetId = (p: Packet) => `${p.sourceChannel}/${p.sequence}`;
export const commitmentHex = (p: Packet) => toHex(packetCommitment(p));
