import { SalusError, type Canonical } from '@salus/core';
import type { AppModule, TxTypeDoc } from '@salus/module';
import { CHANNEL_ERRORS } from '../errors.js';
import { acknowledgePacket, parseAckMsg, parseRecv, recvPacket, timeoutPacket, type Ports } from '../channel/handlers.js';
import { parseClientUpdate, updateClient } from '../channel/lightclient.js';
import { initChannels, validateChannelsGenesis } from '../channel/genesis.js';
import { CUSTODY_PORT, custodyApp, parseRegisterItem, parseSendItem, registerItem, sendItem } from '../custody/app.js';
import { channelRoutes } from './routes.js';
import { registerChannelsCli } from './cli.js';

/** The applications bound to ports on every chain: the channel layer routes packets by port. */
export const PORTS: Ports = { [CUSTODY_PORT]: custodyApp };
const PORT_NAMES = Object.keys(PORTS);

type ChannelTxType = 'update_client' | 'recv_packet' | 'acknowledge_packet' | 'timeout_packet' | 'register_item' | 'send_item';

const TX_TYPES: Record<ChannelTxType, TxTypeDoc> = {
  update_client: { summary: "A relayer brings a header of a counterparty chain with its commit and validator set; verified by this chain's light client of it", open: true },
  recv_packet: { summary: "A relayer delivers a packet with the proof of its commitment in the source chain's state; received once, acknowledged in this chain's state", open: true },
  acknowledge_packet: { summary: "A relayer brings the destination's acknowledgement of a packet with its proof; the packet settles on its source", open: true },
  timeout_packet: { summary: 'A relayer proves a packet was not received by its timeout height; the packet is refunded on its source', open: true },
  register_item: { summary: 'A new item (an opaque id: a pack serial, a record pointer) held by the signer on this chain' },
  send_item: { summary: "The holder sends an item over a custody channel to a key on the other chain; escrowed here until acknowledged or timed out" },
};

function parse(type: string, payload: Canonical) {
  switch (type as ChannelTxType) {
    case 'update_client':
      return parseClientUpdate(payload);
    case 'recv_packet':
    case 'timeout_packet':
      return parseRecv(payload);
    case 'acknowledge_packet':
      return parseAckMsg(payload);
    case 'register_item':
      return parseRegisterItem(payload);
    case 'send_item':
      return parseSendItem(payload);
    default:
      throw new SalusError('UNKNOWN_TYPE', `channels has no transaction type ${type}`);
  }
}

/**
 * Channels between chains (ADR 0014): each chain keeps a light client of its counterparties,
 * packets are proven against the app hashes it verified, received once, acknowledged, or refunded
 * after a proven timeout. The relayer that carries them is untrusted. Custody transfer is the
 * application on port `custody`.
 */
export const channelsModule: AppModule = {
  name: 'channels',
  txs: {
    types: TX_TYPES,
    check: (type, payload) => void parse(type, payload),
    deliver(ctx, type, payload) {
      const p = parse(type, payload);
      switch (type as ChannelTxType) {
        case 'update_client': {
          const c = updateClient(ctx.state, ctx.ed, p as ReturnType<typeof parseClientUpdate>);
          ctx.emit('channels.client_updated', { chainId: c.chainId, height: c.latestHeight });
          return;
        }
        case 'recv_packet':
          return void recvPacket(ctx, PORTS, p as ReturnType<typeof parseRecv>);
        case 'acknowledge_packet':
          return acknowledgePacket(ctx, PORTS, p as ReturnType<typeof parseAckMsg>);
        case 'timeout_packet':
          return timeoutPacket(ctx, PORTS, p as ReturnType<typeof parseRecv>);
        case 'register_item':
          return registerItem(ctx, p as ReturnType<typeof parseRegisterItem>);
        case 'send_item':
          return void sendItem(ctx, p as ReturnType<typeof parseSendItem>);
      }
    },
  },
  genesis: {
    validate: (section, genesis) => validateChannelsGenesis(section, genesis, PORT_NAMES),
    init: (kv, section, genesis) => initChannels(kv, section, genesis, PORT_NAMES),
  },
  errors: CHANNEL_ERRORS,
  events: [
    { type: 'channels.client_updated', attributes: ['chainId', 'height'] },
    { type: 'channels.sent', attributes: ['channel', 'sequence', 'port', 'timeoutHeight'] },
    { type: 'channels.received', attributes: ['channel', 'sequence', 'ok'] },
    { type: 'channels.acknowledged', attributes: ['channel', 'sequence', 'ok'] },
    { type: 'channels.timed_out', attributes: ['channel', 'sequence'] },
    { type: 'custody.registered', attributes: ['item', 'holder'] },
    { type: 'custody.sent', attributes: ['item', 'channel', 'sequence', 'receiver'] },
    { type: 'custody.received', attributes: ['item', 'channel', 'sequence', 'holder'] },
    { type: 'custody.refunded', attributes: ['item', 'channel', 'sequence', 'holder'] },
  ],
  routes: channelRoutes,
  cli: registerChannelsCli,
};
