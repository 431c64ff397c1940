import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import { faultyKey } from './state.js';
import type { RouteServices } from '@salus/module';

export function evidenceRoutes(app: FastifyInstance, services: RouteServices): void {
  app.get<{ Params: { key: string } }>(
    '/v1/evidence/faulty/:key',
    { schema: { tags: ['evidence'], summary: 'Whether a validator has been caught double signing, and how often', params: { type: 'object', properties: { key: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } }, required: ['key'] } } },
    async (req) => {
      const rec = services.committed().get(faultyKey(req.params.key.toLowerCase()));
      if (!rec) throw new SalusError('NOT_FOUND', `no evidence against validator ${req.params.key}`);
      return rec;
    },
  );
}
