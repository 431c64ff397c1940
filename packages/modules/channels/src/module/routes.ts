import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import type { RouteServices } from '@salus/module';
import { ackDataKey, ackDataPrefix, channelKey, clientKey, packetKey, packetPrefix, receiptKey, type ChannelEnd, type ClientState } from '../channel/state.js';
import { itemKey } from '../custody/app.js';

const LIST_MAX = 500;
const channelParam = { type: 'object', properties: { channel: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' } }, required: ['channel'] } as const;
const pageQuery = { type: 'object', properties: { after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: LIST_MAX } }, additionalProperties: false } as const;

/** Read-only routes over the channels' state: what relayers read, and proofs of any of it against a committed header. */
export function channelRoutes(app: FastifyInstance, s: RouteServices): void {
  app.get('/v1/channels', { schema: { tags: ['channels'], summary: "This chain's channel ends and its light clients of the counterparty chains" } }, async () => {
    const kv = s.committed();
    return {
      chainId: s.chainId,
      height: s.lastHeight(),
      channels: kv.list('channels/channel/', { limit: LIST_MAX }).map(([, v]) => v as ChannelEnd),
      clients: kv.list('channels/client/', { limit: LIST_MAX }).map(([, v]) => v as ClientState),
    };
  });

  app.get<{ Params: { chainId: string } }>(
    '/v1/channels/clients/:chainId',
    { schema: { tags: ['channels'], summary: "This chain's light client of a counterparty chain", params: { type: 'object', properties: { chainId: { type: 'string', maxLength: 64 } }, required: ['chainId'] } } },
    async (req) => {
      const c = s.committed().get(clientKey(req.params.chainId));
      if (c === undefined) throw new SalusError('CHANNEL_UNKNOWN', `no light client of ${req.params.chainId}`);
      return c;
    },
  );

  app.get<{ Params: { channel: string }; Querystring: { after?: number; limit?: number } }>(
    '/v1/channels/:channel/packets',
    { schema: { tags: ['channels'], summary: 'Packets sent on a channel and not settled yet (neither acknowledged nor timed out), by sequence', params: channelParam, querystring: pageQuery } },
    async (req) => {
      const kv = s.committed();
      if (kv.get(channelKey(req.params.channel)) === undefined) throw new SalusError('CHANNEL_UNKNOWN', `no channel ${req.params.channel}`);
      const after = req.query.after === undefined ? undefined : packetKey(req.params.channel, req.query.after);
      return { height: s.lastHeight(), packets: kv.list(packetPrefix(req.params.channel), { ...(after ? { after } : {}), limit: req.query.limit ?? LIST_MAX }).map(([, v]) => v) };
    },
  );

  app.get<{ Params: { channel: string }; Querystring: { after?: number; limit?: number } }>(
    '/v1/channels/:channel/acks',
    { schema: { tags: ['channels'], summary: 'Acknowledgements this chain wrote for packets received on a channel, by sequence', params: channelParam, querystring: pageQuery } },
    async (req) => {
      const after = req.query.after === undefined ? undefined : ackDataKey(req.params.channel, req.query.after);
      return { height: s.lastHeight(), acks: s.committed().list(ackDataPrefix(req.params.channel), { ...(after ? { after } : {}), limit: req.query.limit ?? LIST_MAX }).map(([, v]) => v) };
    },
  );

  app.get<{ Params: { channel: string; sequence: number } }>(
    '/v1/channels/:channel/receipts/:sequence',
    {
      schema: {
        tags: ['channels'],
        summary: 'Whether this chain has received a packet (latest committed state, unproven: a relayer\'s hint) and the acknowledgement it wrote',
        params: { type: 'object', properties: { channel: channelParam.properties.channel, sequence: { type: 'integer', minimum: 1 } }, required: ['channel', 'sequence'] },
      },
    },
    async (req) => {
      const kv = s.committed();
      const received = kv.has(receiptKey(req.params.channel, req.params.sequence));
      return { height: s.lastHeight(), received, ack: received ? (kv.get(ackDataKey(req.params.channel, req.params.sequence)) ?? null) : null };
    },
  );

  app.get<{ Querystring: { key: string; height?: number } }>(
    '/v1/channels/proof',
    {
      schema: {
        tags: ['channels'],
        summary: 'A channels state value (or its absence) with its proof against the app hash of header `height` (the state after block height − 1; default the latest), that header, its commit and validators',
        querystring: { type: 'object', properties: { key: { type: 'string', pattern: '^channels/', maxLength: 256 }, height: { type: 'integer', minimum: 1 } }, required: ['key'], additionalProperties: false },
      },
    },
    async (req) => (req.query.height === undefined ? s.prove(req.query.key) : s.prove(req.query.key, req.query.height - 1)),
  );

  app.get<{ Params: { item: string } }>(
    '/v1/channels/items/:item',
    { schema: { tags: ['channels'], summary: "A custody item's record on this chain (holder, status) with its state proof (value null: not on this chain)", params: { type: 'object', properties: { item: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } }, required: ['item'] } } },
    async (req) => {
      if (s.lastHeight() < 1) throw new SalusError('NOT_FOUND', 'no block has committed yet');
      return s.prove(itemKey(req.params.item));
    },
  );
}
