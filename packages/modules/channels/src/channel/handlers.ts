import { SalusError, bytesEqual, encode, toHex, v, type Canonical } from '@salus/core';
import { Overlay, type KV, type TxContext } from '@salus/module';
import { verifyCounterpartyState, parseStateProof, type StateProof } from './lightclient.js';
import { ackCommitment, isOk, packetCommitment, parseAck, parsePacket, type Acknowledgement, type Packet } from './packet.js';
import { ackDataKey, ackKey, channelKey, commitmentKey, packetKey, receiptKey, requireChannel, type ChannelEnd, type SentPacket, type WrittenAck } from './state.js';

/**
 * The packet lifecycle on one chain (IBC's ICS 04 for unordered channels, kept small): `send`
 * commits to a packet in state; `recv` on the other chain proves that commitment against the app
 * hash its light client holds and writes a receipt (so a sequence is received once) and an
 * acknowledgement; `acknowledge` on the source proves that acknowledgement and clears the
 * commitment; `timeout` proves the receipt's absence at a height at or above the packet's timeout
 * height and clears it too. The channel layer is generic: what a packet means is its port's
 * application's business.
 */
export type ChannelContext = Pick<TxContext, 'state' | 'height' | 'ed' | 'emit'>;

/** An application bound to a port: it answers packets and settles its side when they are acknowledged or time out. */
export interface PortApp {
  /** Runs on a scratch overlay: a SalusError thrown here discards its writes and becomes an error acknowledgement. */
  onRecv(ctx: ChannelContext, packet: Packet): void;
  onAcknowledge(ctx: ChannelContext, packet: Packet, ack: Acknowledgement): void;
  onTimeout(ctx: ChannelContext, packet: Packet): void;
}

export type Ports = Readonly<Record<string, PortApp>>;

/**
 * Checks a counterparty's state (value or absence at a verified height): on chain, the light
 * client's `verifyCounterpartyState` (a sparse Merkle proof against a verified app hash); the
 * multi-chain simulation passes one that reads the counterparty's state at that height instead.
 */
export type CounterpartyVerifier = (kv: KV, chainId: string, key: string, value: Uint8Array | undefined, proof: StateProof) => void;

export interface RecvMsg {
  readonly packet: Packet;
  readonly proof: StateProof;
}
export interface AckMsg {
  readonly packet: Packet;
  readonly ack: Acknowledgement;
  readonly proof: StateProof;
}

export function parseRecv(x: unknown): RecvMsg {
  const r = v.record(x, 'payload');
  v.onlyKeys(r, ['packet', 'proof'], 'payload');
  return { packet: parsePacket(r.packet), proof: parseStateProof(r.proof) };
}

export function parseAckMsg(x: unknown): AckMsg {
  const r = v.record(x, 'payload');
  v.onlyKeys(r, ['packet', 'ack', 'proof'], 'payload');
  return { packet: parsePacket(r.packet), ack: parseAck(r.ack), proof: parseStateProof(r.proof) };
}

/** Commits to a new packet on `channelId` (called by a port's application). */
export function sendPacket(ctx: ChannelContext, channelId: string, port: string, data: { [key: string]: Canonical }, timeoutHeight: number): Packet {
  const ch = requireChannel(ctx.state, channelId);
  if (ch.port !== port) throw new SalusError('FORBIDDEN', `channel ${channelId} is bound to port ${ch.port}, not ${port}`);
  const packet: Packet = { sequence: ch.nextSequence, sourceChannel: ch.id, destChannel: ch.counterpartyChannel, port, data, timeoutHeight };
  ctx.state.set(channelKey(ch.id), { ...ch, nextSequence: ch.nextSequence + 1 } satisfies ChannelEnd);
  ctx.state.set(commitmentKey(ch.id, packet.sequence), packetCommitment(packet));
  ctx.state.set(packetKey(ch.id, packet.sequence), { packet, height: ctx.height } as unknown as Canonical);
  ctx.emit('channels.sent', { channel: ch.id, sequence: packet.sequence, port, timeoutHeight });
  return packet;
}

function appOf(ports: Ports, ch: ChannelEnd, packet: Packet): PortApp {
  if (ch.port !== packet.port) throw new SalusError('INVALID_FIELD', `channel ${ch.id} is bound to port ${ch.port}, the packet names ${packet.port}`, { field: 'packet.port' });
  const app = ports[ch.port];
  if (!app) throw new SalusError('CHANNEL_UNKNOWN', `no application is bound to port ${ch.port}`);
  return app;
}

/** The destination side: proves the packet's commitment on the source, receives it once, writes the acknowledgement. */
export function recvPacket(ctx: ChannelContext, ports: Ports, m: RecvMsg, verify: CounterpartyVerifier = verifyCounterpartyState): Acknowledgement {
  const p = m.packet;
  const ch = requireChannel(ctx.state, p.destChannel);
  if (ch.counterpartyChannel !== p.sourceChannel) throw new SalusError('INVALID_FIELD', `channel ${ch.id}'s counterparty is ${ch.counterpartyChannel}, not ${p.sourceChannel}`, { field: 'packet.sourceChannel' });
  const app = appOf(ports, ch, p);
  if (ctx.state.has(receiptKey(ch.id, p.sequence))) throw new SalusError('PACKET_REPLAYED', `packet ${p.sequence} of channel ${ch.id} was already received`, { sequence: p.sequence });
  if (ctx.height >= p.timeoutHeight) throw new SalusError('PACKET_TIMED_OUT', `packet ${p.sequence} timed out at height ${p.timeoutHeight}; this is height ${ctx.height}`, { timeoutHeight: p.timeoutHeight });
  verify(ctx.state, ch.counterpartyChainId, commitmentKey(p.sourceChannel, p.sequence), encode(packetCommitment(p)), m.proof);
  let ack: Acknowledgement = { ok: true };
  const scratch = ctx.state instanceof Overlay ? new Overlay(ctx.state) : undefined;
  try {
    app.onRecv({ ...ctx, state: scratch ?? ctx.state }, p);
    if (scratch && ctx.state instanceof Overlay) scratch.mergeInto(ctx.state);
  } catch (e) {
    if (!(e instanceof SalusError)) throw e;
    ack = { error: `${e.code}: ${e.message}`.slice(0, 256) };
  }
  ctx.state.set(receiptKey(ch.id, p.sequence), 1);
  ctx.state.set(ackKey(ch.id, p.sequence), ackCommitment(ack));
  ctx.state.set(ackDataKey(ch.id, p.sequence), { packet: p, ack, height: ctx.height } as unknown as Canonical);
  ctx.emit('channels.received', { channel: ch.id, sequence: p.sequence, ok: isOk(ack) });
  return ack;
}

/** The packet is the one this chain committed to and has not settled yet. */
function requireCommitted(kv: KV, p: Packet): ChannelEnd {
  const ch = requireChannel(kv, p.sourceChannel);
  if (ch.counterpartyChannel !== p.destChannel) throw new SalusError('INVALID_FIELD', `channel ${ch.id}'s counterparty is ${ch.counterpartyChannel}, not ${p.destChannel}`, { field: 'packet.destChannel' });
  const c = kv.get(commitmentKey(ch.id, p.sequence));
  if (c === undefined) throw new SalusError('PACKET_SETTLED', `packet ${p.sequence} of channel ${ch.id} is not pending: acknowledged, timed out, or never sent`, { sequence: p.sequence });
  if (!(c instanceof Uint8Array) || !bytesEqual(c, packetCommitment(p))) throw new SalusError('INVALID_FIELD', `packet ${p.sequence} differs from the one channel ${ch.id} committed to`, { field: 'packet' });
  return ch;
}

function clear(kv: KV, p: Packet): void {
  kv.delete(commitmentKey(p.sourceChannel, p.sequence));
  kv.delete(packetKey(p.sourceChannel, p.sequence));
}

/** The source side: proves the destination's acknowledgement and settles the packet with its application. */
export function acknowledgePacket(ctx: ChannelContext, ports: Ports, m: AckMsg, verify: CounterpartyVerifier = verifyCounterpartyState): void {
  const p = m.packet;
  const ch = requireCommitted(ctx.state, p);
  const app = appOf(ports, ch, p);
  verify(ctx.state, ch.counterpartyChainId, ackKey(p.destChannel, p.sequence), encode(ackCommitment(m.ack)), m.proof);
  clear(ctx.state, p);
  app.onAcknowledge(ctx, p, m.ack);
  ctx.emit('channels.acknowledged', { channel: ch.id, sequence: p.sequence, ok: isOk(m.ack) });
}

/** The source side: proves the packet was not received by its timeout height and refunds it through its application. */
export function timeoutPacket(ctx: ChannelContext, ports: Ports, m: RecvMsg, verify: CounterpartyVerifier = verifyCounterpartyState): void {
  const p = m.packet;
  const ch = requireCommitted(ctx.state, p);
  const app = appOf(ports, ch, p);
  // header H holds the state after block H − 1; receipts are written only in blocks below timeoutHeight
  if (m.proof.height < p.timeoutHeight) {
    throw new SalusError('PACKET_NOT_TIMED_OUT', `the proof is of ${ch.counterpartyChainId} at height ${m.proof.height}; packet ${p.sequence} is receivable until height ${p.timeoutHeight}`, { timeoutHeight: p.timeoutHeight });
  }
  verify(ctx.state, ch.counterpartyChainId, receiptKey(p.destChannel, p.sequence), undefined, m.proof);
  clear(ctx.state, p);
  app.onTimeout(ctx, p);
  ctx.emit('channels.timed_out', { channel: ch.id, sequence: p.sequence });
}

export const sentPacket = (kv: KV, channel: string, sequence: number) => kv.get(packetKey(channel, sequence)) as SentPacket | undefined;
export const writtenAck = (kv: KV, channel: string, sequence: number) => kv.get(ackDataKey(channel, sequence)) as WrittenAck | undefined;
export const commitmentOf = (kv: KV, channel: string, sequence: number): string | undefined => {
  const c = kv.get(commitmentKey(channel, sequence));
  return c instanceof Uint8Array ? toHex(c) : undefined;
};
