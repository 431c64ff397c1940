import { SalusError, v, type Canonical } from '@salus/core';
import type { KV, TxContext } from '@salus/module';
import { sendPacket, type ChannelContext, type PortApp } from '../channel/handlers.js';
import { isOk, type Acknowledgement, type Packet } from '../channel/packet.js';
import { getClient, requireChannel } from '../channel/state.js';

/**
 * The custody transfer application, bound to port `custody`: an item (an opaque id, such as a drug
 * pack's serial or a pointer to a patient's record set; never health data) is held by one key on
 * one chain. Sending it over a channel escrows it on the source while the packet is in flight; the
 * destination's `recv` makes the receiver its holder there; the acknowledgement turns the source's
 * escrow into `away` (or, for an item going back where it came from, removes it); an error
 * acknowledgement or a timeout gives it back to the sender. An item is held on at most one chain.
 */
export const CUSTODY_PORT = 'custody';
export const ITEM_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const HEX32 = /^[0-9a-f]{64}$/;

export type ItemStatus = 'held' | 'escrowed' | 'away';

export interface ItemRecord {
  readonly item: string;
  /** the key that holds it here (null while away) */
  readonly holder: string | null;
  readonly status: ItemStatus;
  /** the channel it arrived through (null: registered on this chain) */
  readonly via: string | null;
  /** escrowed or away: the channel it left by; escrowed: its packet's sequence */
  readonly channel: string | null;
  readonly sequence: number | null;
}

export const itemKey = (item: string) => `channels/custody/item/${item}`;
export const getItem = (kv: KV, item: string) => kv.get(itemKey(item)) as ItemRecord | undefined;
const put = (kv: KV, r: ItemRecord) => kv.set(itemKey(r.item), r as unknown as Canonical);

export interface RegisterItem {
  readonly item: string;
}
export interface SendItem {
  readonly item: string;
  readonly channel: string;
  readonly receiver: string;
  readonly timeoutHeight: number;
}

export function parseRegisterItem(x: unknown): RegisterItem {
  const r = v.record(x, 'payload');
  v.onlyKeys(r, ['item'], 'payload');
  return { item: v.str(r.item, 'item', 128, ITEM_ID) };
}

export function parseSendItem(x: unknown): SendItem {
  const r = v.record(x, 'payload');
  v.onlyKeys(r, ['item', 'channel', 'receiver', 'timeoutHeight'], 'payload');
  return { item: v.str(r.item, 'item', 128, ITEM_ID), channel: v.str(r.channel, 'channel', 32), receiver: v.str(r.receiver, 'receiver', 64, HEX32), timeoutHeight: v.uint(r.timeoutHeight, 'timeoutHeight') };
}

/** A new item held by the signer on this chain. */
export function registerItem(ctx: TxContext, p: RegisterItem): void {
  if (getItem(ctx.state, p.item)) throw new SalusError('CONFLICT', `item ${p.item} is already known on this chain`, { item: p.item });
  put(ctx.state, { item: p.item, holder: ctx.signerHex, status: 'held', via: null, channel: null, sequence: null });
  ctx.emit('custody.registered', { item: p.item, holder: ctx.signerHex });
}

/** The holder sends the item over a custody channel: escrowed here until the packet is acknowledged or times out. */
export function sendItem(ctx: TxContext, p: SendItem): Packet {
  const rec = getItem(ctx.state, p.item);
  if (!rec) throw new SalusError('NOT_FOUND', `no item ${p.item} on this chain`, { item: p.item });
  if (rec.status !== 'held') throw new SalusError('ITEM_IN_FLIGHT', `item ${p.item} is ${rec.status === 'escrowed' ? 'in flight' : 'held on another chain'}`, { item: p.item, status: rec.status });
  if (rec.holder !== ctx.signerHex) throw new SalusError('FORBIDDEN', `item ${p.item} is held by another key`, { item: p.item });
  const ch = requireChannel(ctx.state, p.channel);
  const latest = getClient(ctx.state, ch.counterpartyChainId)?.latestHeight ?? 0;
  if (p.timeoutHeight <= latest) throw new SalusError('INVALID_FIELD', `timeoutHeight ${p.timeoutHeight} of ${ch.counterpartyChainId} has already passed (its light client is at ${latest})`, { field: 'timeoutHeight' });
  const packet = sendPacket(ctx, p.channel, CUSTODY_PORT, { item: p.item, sender: ctx.signerHex, receiver: p.receiver }, p.timeoutHeight);
  put(ctx.state, { ...rec, status: 'escrowed', channel: p.channel, sequence: packet.sequence });
  ctx.emit('custody.sent', { item: p.item, channel: p.channel, sequence: packet.sequence, receiver: p.receiver });
  return packet;
}

function transferData(p: Packet): { item: string; sender: string; receiver: string } {
  const d = p.data;
  v.onlyKeys(d, ['item', 'sender', 'receiver'], 'packet.data');
  return { item: v.str(d.item, 'item', 128, ITEM_ID), sender: v.str(d.sender, 'sender', 64, HEX32), receiver: v.str(d.receiver, 'receiver', 64, HEX32) };
}

function escrowed(kv: KV, p: Packet, item: string): ItemRecord {
  const rec = getItem(kv, item);
  if (!rec || rec.status !== 'escrowed' || rec.channel !== p.sourceChannel || rec.sequence !== p.sequence) {
    throw new SalusError('CORRUPT_DATA', `invariant failed: item ${item} is not escrowed for packet ${p.sequence} of channel ${p.sourceChannel}`);
  }
  return rec;
}

function refund(ctx: ChannelContext, p: Packet): void {
  const d = transferData(p);
  const rec = escrowed(ctx.state, p, d.item);
  put(ctx.state, { ...rec, holder: d.sender, status: 'held', channel: null, sequence: null });
  ctx.emit('custody.refunded', { item: d.item, channel: p.sourceChannel, sequence: p.sequence, holder: d.sender });
}

export const custodyApp: PortApp = {
  onRecv(ctx, p) {
    const d = transferData(p);
    const rec = getItem(ctx.state, d.item);
    if (rec && rec.status === 'away' && rec.channel === p.destChannel) {
      // it comes back the way it left
      put(ctx.state, { ...rec, holder: d.receiver, status: 'held', channel: null, sequence: null });
    } else if (!rec) {
      put(ctx.state, { item: d.item, holder: d.receiver, status: 'held', via: p.destChannel, channel: null, sequence: null });
    } else {
      throw new SalusError('CONFLICT', `item ${d.item} is already on this chain (${rec.status})`, { item: d.item });
    }
    ctx.emit('custody.received', { item: d.item, channel: p.destChannel, sequence: p.sequence, holder: d.receiver });
  },
  onAcknowledge(ctx, p, ack: Acknowledgement) {
    if (!isOk(ack)) return refund(ctx, p);
    const d = transferData(p);
    const rec = escrowed(ctx.state, p, d.item);
    // an item that goes back through the channel it came by is no longer this chain's to track
    if (rec.via === p.sourceChannel) ctx.state.delete(itemKey(d.item));
    else put(ctx.state, { ...rec, holder: null, status: 'away', sequence: null });
  },
  onTimeout: refund,
};
