import { SalusError, fromHex, toHex } from '@salus/core';
import { batchStateKey, itemToJson } from '@salus/client';
import type { FastifyInstance } from 'fastify';
import type { RouteServices } from '@salus/module';
import type { Anchorer } from './anchorer.js';
import { parseItemsBody } from './intake.js';
import { ITEM_JSON_BYTES_MAX } from './options.js';

const hashParam = { type: 'object', properties: { hash: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['hash'] } as const;
const LEAVES_MAX = 16_384;

/**
 * The anchoring node's routes: items in (receipt out), an item's state and proof, and the sorted
 * leaves of its batches (so that anyone can rebuild a batch, audit it and prove an item's absence).
 * Only the node that took an item serves these for it; every node serves the ledger's side
 * (module/routes.ts).
 */
export function anchorServiceRoutes(a: Anchorer) {
  return (app: FastifyInstance, s: RouteServices): void => {
    const itemsMax = a.opts.requestItemsMax;
    app.post(
      '/v1/anchors/items',
      {
        bodyLimit: itemsMax * ITEM_JSON_BYTES_MAX + 4096,
        schema: {
          tags: ['anchors'],
          summary: `Anchors signed items (body {"items": […]} or {"item": …}, JSON with hex or canonical CBOR with bytes; at most ${itemsMax}). Answers at once with one receipt signed by the node's anchoring key: the batch the items are in and the height by which it will be on the ledger`,
        },
      },
      async (req, reply) => {
        const items = parseItemsBody(req.body, { itemsMax, cborBytesMax: itemsMax * ITEM_JSON_BYTES_MAX + 4096 });
        const { receipt } = await a.accept(items);
        // the items' hashes are not sent back: the submitter computes them and checks them against the receipt's root
        return reply.status(202).send({ anchorer: receipt.body.anchorer, batch: receipt.body.batch, deadline: receipt.body.deadline, receipt });
      },
    );

    app.get<{ Params: { hash: string } }>('/v1/anchors/items/:hash', { schema: { tags: ['anchors'], summary: "Where an item this node took is: its batch, the batch's state (open, closed, anchored, failed) and deadline", params: hashParam } }, async (req) => {
      const { store } = a.requireAnchoring();
      const rows = store.find(fromHex(req.params.hash, 32));
      if (rows.length === 0) throw new SalusError('NOT_FOUND', 'this node took no such item (ask the node whose receipt you hold)');
      return { hash: req.params.hash, batches: rows.map((r) => store.batch(r.seq)).map((b) => ({ batch: b!.seq, state: b!.state, deadline: b!.deadline, anchoredHeight: b!.anchoredHeight })) };
    });

    app.get<{ Params: { hash: string } }>(
      '/v1/anchors/items/:hash/proof',
      { schema: { tags: ['anchors'], summary: "An item's proof: the signed item, its path in the sorted batch, and the ledger's state proof of the batch root with header, commit and validators (the SDK's AnchorsClient.proof checks all of it)", params: hashParam } },
      async (req) => {
        const { store, anchorer } = a.requireAnchoring();
        const hash = fromHex(req.params.hash, 32);
        const rows = store.find(hash).map((r) => ({ ...r, batch: store.batch(r.seq)! }));
        if (rows.length === 0) throw new SalusError('NOT_FOUND', 'this node took no such item (ask the node whose receipt you hold)');
        const at = rows.find((r) => r.batch.state === 'anchored');
        if (!at) {
          const waiting = rows.find((r) => r.batch.state === 'open' || r.batch.state === 'closed');
          if (waiting) throw new SalusError('ANCHOR_PENDING', `batch ${waiting.seq} is not on the ledger yet (due by height ${waiting.batch.deadline})`, { batch: waiting.seq, deadline: waiting.batch.deadline });
          throw new SalusError('ANCHOR_LATE', `batch ${rows[0]!.seq} was not anchored by its deadline: the receipt is reportable`, { batch: rows[0]!.seq });
        }
        const tree = a.tree(at.seq);
        const index = tree.search(hash);
        if (index < 0) throw new SalusError('CORRUPT_DATA', `item ${req.params.hash.slice(0, 12)}… is stored in batch ${at.seq} but not in its tree`);
        // header h + 1 commits to the state after block h, which holds the batch
        const h = at.batch.anchoredHeight!;
        if (s.lastHeight() < h + 1) await s.waitForHeight(h + 1, a.opts.proofWaitMs);
        return { item: itemToJson(at.item), hash: req.params.hash, anchorer, batch: at.seq, index, path: tree.path(index).map(toHex), ledger: s.prove(batchStateKey(anchorer, at.seq)) };
      },
    );

    app.get<{ Params: { batch: number }; Querystring: { after?: string; limit?: number } }>(
      '/v1/anchors/leaves/:batch',
      {
        schema: {
          tags: ['anchors'],
          summary: "The item hashes of one of this node's closed batches in ascending order (its tree's leaves), a page at a time; `next` is where to continue",
          params: { type: 'object', properties: { batch: { type: 'integer', minimum: 0 } }, required: ['batch'] },
          querystring: { type: 'object', properties: { after: { type: 'string', pattern: '^[0-9a-f]{64}$' }, limit: { type: 'integer', minimum: 1, maximum: LEAVES_MAX } }, additionalProperties: false },
        },
      },
      async (req) => {
        const { store } = a.requireAnchoring();
        const b = store.batch(req.params.batch);
        if (!b || b.state === 'open') throw new SalusError('NOT_FOUND', `batch ${req.params.batch} of this node is not closed`);
        const limit = req.query.limit ?? LEAVES_MAX;
        const items = store.leaves(b.seq, req.query.after ? fromHex(req.query.after, 32) : new Uint8Array(0), limit);
        return { batch: b.seq, count: b.count, root: toHex(b.root!), items: items.map(toHex), next: items.length === limit ? toHex(items[items.length - 1]!) : null };
      },
    );

    app.get('/v1/anchors/node', { schema: { tags: ['anchors'], summary: "This node's batcher: its anchoring key, the open batch, its batches by state" } }, async () => a.status());
  };
}
