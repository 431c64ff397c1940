import { fromHex, type Validator } from '@salus/core';
import type { KV } from '@salus/module';
import { SalusError } from '@salus/core';
import type { Acknowledgement, Packet } from './packet.js';

/**
 * The keys the channel layer owns, all under `channels/`. The three a counterparty proves against
 * (commitment, receipt, acknowledgement) are derived from (channel, sequence) alone, so both sides
 * and the relayer name the same key without asking anyone.
 */
const seq = (n: number) => String(n).padStart(12, '0');
export const clientKey = (chainId: string) => `channels/client/${chainId}`;
export const consensusKey = (chainId: string, height: number) => `channels/consensus/${chainId}/${seq(height)}`;
export const channelKey = (id: string) => `channels/channel/${id}`;
export const commitmentPrefix = (channel: string) => `channels/commitment/${channel}/`;
export const commitmentKey = (channel: string, sequence: number) => commitmentPrefix(channel) + seq(sequence);
export const packetPrefix = (channel: string) => `channels/packet/${channel}/`;
export const packetKey = (channel: string, sequence: number) => packetPrefix(channel) + seq(sequence);
export const receiptKey = (channel: string, sequence: number) => `channels/receipt/${channel}/${seq(sequence)}`;
export const ackKey = (channel: string, sequence: number) => `channels/ack/${channel}/${seq(sequence)}`;
export const ackDataPrefix = (channel: string) => `channels/ackdata/${channel}/`;
export const ackDataKey = (channel: string, sequence: number) => ackDataPrefix(channel) + seq(sequence);

/** The light client of one counterparty chain: the set it trusts and the latest height it verified. */
export interface ClientState {
  readonly chainId: string;
  readonly validators: readonly { readonly pubKey: string; readonly power: number }[];
  readonly latestHeight: number;
}

/** What the light client keeps of each verified header: enough to check proofs against it. */
export interface ConsensusState {
  readonly appHash: string;
  readonly time: number;
  readonly validatorsHash: string;
}

/** One end of a channel: fixed in the genesis file with its counterparty (ADR 0014). */
export interface ChannelEnd {
  readonly id: string;
  readonly port: string;
  readonly counterpartyChainId: string;
  readonly counterpartyChannel: string;
  /** the sequence the next packet sent on it gets */
  readonly nextSequence: number;
}

/** A packet as the source keeps it beside its commitment, for relayers to read. */
export interface SentPacket {
  readonly packet: Packet;
  readonly height: number;
}

/** An acknowledgement as the destination keeps it beside its commitment, for relayers to read. */
export interface WrittenAck {
  readonly packet: Packet;
  readonly ack: Acknowledgement;
  readonly height: number;
}

export function getClient(kv: KV, chainId: string): ClientState | undefined {
  return kv.get(clientKey(chainId)) as ClientState | undefined;
}

export function requireClient(kv: KV, chainId: string): ClientState {
  const c = getClient(kv, chainId);
  if (!c) throw new SalusError('CHANNEL_UNKNOWN', `this chain holds no light client of chain ${chainId}`, { chainId });
  return c;
}

export function getConsensus(kv: KV, chainId: string, height: number): ConsensusState | undefined {
  return kv.get(consensusKey(chainId, height)) as ConsensusState | undefined;
}

export function getChannel(kv: KV, id: string): ChannelEnd | undefined {
  return kv.get(channelKey(id)) as ChannelEnd | undefined;
}

export function requireChannel(kv: KV, id: string): ChannelEnd {
  const c = getChannel(kv, id);
  if (!c) throw new SalusError('CHANNEL_UNKNOWN', `no channel ${id} on this chain`, { channel: id });
  return c;
}

export function trustedValidators(c: ClientState): Validator[] {
  return c.validators.map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
}
