import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import type { RouteServices } from '@salus/module';
import { getParams } from '../params.js';
import { batchStateKey, challengePrefix, misbehaviourPrefix } from './state.js';

const keyParam = { type: 'object', properties: { anchorer: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['anchorer'] } as const;
const LIST_MAX = 1000;

/** Read-only routes over the ledger's anchoring state, served by every node. */
export function anchorRoutes(app: FastifyInstance, s: RouteServices): void {
  app.get('/v1/anchors/params', { schema: { tags: ['anchors'], summary: "The network's anchoring parameters (genesis.modules.anchors, or the defaults)" } }, async () => getParams(s.committed()));

  app.get<{ Params: { anchorer: string; batch: number } }>(
    '/v1/anchors/batches/:anchorer/:batch',
    {
      schema: {
        tags: ['anchors'],
        summary: "An anchored batch (root, size, deadline, height) with its state proof against a committed header, as GET /v1/state answers it (value null: not on the ledger)",
        params: { type: 'object', properties: { anchorer: keyParam.properties.anchorer, batch: { type: 'integer', minimum: 0 } }, required: ['anchorer', 'batch'] },
      },
    },
    async (req) => {
      if (s.lastHeight() < 1) throw new SalusError('NOT_FOUND', 'no block has committed yet');
      return s.prove(batchStateKey(req.params.anchorer, req.params.batch));
    },
  );

  app.get<{ Params: { anchorer: string } }>(
    '/v1/anchors/misbehaviour/:anchorer',
    { schema: { tags: ['anchors'], summary: 'Broken receipts recorded against an anchoring key: late batches, omitted items, unanswered challenges', params: keyParam } },
    async (req) => ({ records: s.committed().list(misbehaviourPrefix(req.params.anchorer), { limit: LIST_MAX }).map(([, v]) => v) }),
  );

  app.get<{ Params: { anchorer: string } }>(
    '/v1/anchors/challenges/:anchorer',
    { schema: { tags: ['anchors'], summary: 'Open challenges to an anchoring key: items it must prove in its batches before they fall due', params: keyParam } },
    async (req) => ({ challenges: s.committed().list(challengePrefix(req.params.anchorer), { limit: LIST_MAX }).map(([, v]) => v) }),
  );
}
