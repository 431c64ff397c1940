import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import { NEXT_VALIDATORS_KEY, currentValidators, proposalKey, votingOrgs } from './state.js';
import type { RouteServices } from '@salus/module';

export function governanceRoutes(app: FastifyInstance, services: RouteServices): void {
  app.get('/v1/governance/validators', { schema: { tags: ['governance'], summary: 'Current and pending validator sets' } }, async () => {
    const kv = services.committed();
    return { validators: currentValidators(kv), pending: kv.get(NEXT_VALIDATORS_KEY) ?? null, votingOrgs: votingOrgs(kv) };
  });
  app.get<{ Params: { id: string } }>('/v1/governance/proposals/:id', { schema: { tags: ['governance'], summary: 'A proposal and its votes' } }, async (req) => {
    const p = services.committed().get(proposalKey(req.params.id.toLowerCase()));
    if (!p) throw new SalusError('NOT_FOUND', `no proposal ${req.params.id}`);
    return p;
  });
}
