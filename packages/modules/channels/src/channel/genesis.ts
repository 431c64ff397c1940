import { SalusError, checkChainId, compareBytes, fromHex, v, type Canonical } from '@salus/core';
import type { Genesis, KV } from '@salus/module';
import { CHANNEL_ID, PORT_ID } from './packet.js';
import { channelKey, clientKey, type ChannelEnd, type ClientState } from './state.js';

/**
 * The module's genesis section (`genesis.modules.channels`): the light clients of the counterparty
 * chains, each with the validator set it trusts from the start (the counterparty's genesis set,
 * agreed by both consortia as they agree the genesis files), and the channels, each bound to a port
 * and named on both sides. Fixed here instead of a handshake (ADR 0014): both ends and their
 * starting trust are decided by the consortia when they write the genesis files.
 */
export interface ChannelsGenesis {
  readonly clients: readonly { readonly chainId: string; readonly validators: readonly { readonly pubKey: string; readonly power: number }[] }[];
  readonly channels: readonly { readonly id: string; readonly port: string; readonly counterpartyChainId: string; readonly counterpartyChannel: string }[];
}

const HEX32 = /^[0-9a-f]{64}$/;

export function parseChannelsGenesis(section: unknown, ownChainId: string, ports: readonly string[]): ChannelsGenesis {
  const r = v.record(section, 'genesis.modules.channels');
  v.onlyKeys(r, ['clients', 'channels'], 'genesis.modules.channels');
  const clients = v.list(r.clients ?? [], 'clients', 64).map((c, i) => {
    const o = v.record(c, `clients[${i}]`);
    v.onlyKeys(o, ['chainId', 'validators'], `clients[${i}]`);
    const chainId = v.str(o.chainId, `clients[${i}].chainId`, 64);
    checkChainId(chainId);
    if (chainId === ownChainId) throw new SalusError('CONFIG', `clients[${i}] names this chain itself`);
    const validators = v.list(o.validators, `clients[${i}].validators`, 256).map((x, j) => {
      const e = v.record(x, `clients[${i}].validators[${j}]`);
      v.onlyKeys(e, ['pubKey', 'power'], `clients[${i}].validators[${j}]`);
      return { pubKey: v.str(e.pubKey, `clients[${i}].validators[${j}].pubKey`, 64, HEX32), power: v.uint(e.power, `clients[${i}].validators[${j}].power`, 2 ** 40) };
    });
    if (validators.length === 0 || validators.some((x) => x.power < 1)) throw new SalusError('CONFIG', `clients[${i}] needs validators of power at least 1`);
    // the order the counterparty's ledger hashes its set in (by public key)
    validators.sort((a, b) => compareBytes(fromHex(a.pubKey), fromHex(b.pubKey)));
    return { chainId, validators };
  });
  const known = new Set(clients.map((c) => c.chainId));
  if (known.size !== clients.length) throw new SalusError('CONFIG', 'genesis.modules.channels names a chain twice in clients');
  const channels = v.list(r.channels ?? [], 'channels', 256).map((c, i) => {
    const o = v.record(c, `channels[${i}]`);
    v.onlyKeys(o, ['id', 'port', 'counterpartyChainId', 'counterpartyChannel'], `channels[${i}]`);
    const ch = {
      id: v.str(o.id, `channels[${i}].id`, 32, CHANNEL_ID),
      port: v.str(o.port, `channels[${i}].port`, 32, PORT_ID),
      counterpartyChainId: v.str(o.counterpartyChainId, `channels[${i}].counterpartyChainId`, 64),
      counterpartyChannel: v.str(o.counterpartyChannel, `channels[${i}].counterpartyChannel`, 32, CHANNEL_ID),
    };
    if (!known.has(ch.counterpartyChainId)) throw new SalusError('CONFIG', `channels[${i}] leads to ${ch.counterpartyChainId}, which has no light client in clients`);
    if (!ports.includes(ch.port)) throw new SalusError('CONFIG', `channels[${i}] binds port ${ch.port}; the ports are ${ports.join(', ')}`);
    return ch;
  });
  if (new Set(channels.map((c) => c.id)).size !== channels.length) throw new SalusError('CONFIG', 'genesis.modules.channels names a channel id twice');
  return { clients, channels };
}

export function validateChannelsGenesis(section: unknown, genesis: Genesis, ports: readonly string[]): void {
  if (section === undefined) return;
  try {
    parseChannelsGenesis(section, genesis.chainId, ports);
  } catch (e) {
    if (e instanceof SalusError && e.code !== 'CONFIG') throw new SalusError('CONFIG', `genesis.modules.channels is invalid: ${e.message}`);
    throw e;
  }
}

/** Writes the clients (at height 0: no header verified yet) and the channel ends; nothing when the section is absent. */
export function initChannels(kv: KV, section: unknown, genesis: Genesis, ports: readonly string[]): void {
  if (section === undefined) return;
  const g = parseChannelsGenesis(section, genesis.chainId, ports);
  for (const c of g.clients) kv.set(clientKey(c.chainId), { chainId: c.chainId, validators: c.validators, latestHeight: 0 } satisfies ClientState as unknown as Canonical);
  for (const c of g.channels) kv.set(channelKey(c.id), { ...c, nextSequence: 1 } satisfies ChannelEnd);
}

/** The section of a chain that opens one channel to each counterparty (both sides call it with each other's facts): what localnet writes. */
export function channelsGenesisFor(counterparties: readonly { chainId: string; validators: readonly { pubKey: string; power: number }[]; channel: string; counterpartyChannel: string; port: string }[]): ChannelsGenesis {
  return {
    clients: counterparties.map((c) => ({ chainId: c.chainId, validators: c.validators.map((x) => ({ pubKey: x.pubKey, power: x.power })) })),
    channels: counterparties.map((c) => ({ id: c.channel, port: c.port, counterpartyChainId: c.chainId, counterpartyChannel: c.counterpartyChannel })),
  };
}
