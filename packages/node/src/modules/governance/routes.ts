import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import type { QueryContext } from '../../app/module.js';
import { NEXT_VALIDATORS_KEY, currentValidators, proposalKey, votingOrgs } from './state.js';

export function governanceRoutes(app: FastifyInstance, query: () => QueryContext): void {
  app.get('/v1/governance/validators', { schema: { tags: ['governance'], summary: 'Current and pending validator sets' } }, async () => {
    const q = query();
    return { validators: currentValidators(q.state), pending: q.state.get(NEXT_VALIDATORS_KEY) ?? null, votingOrgs: votingOrgs(q.state) };
  });
  app.get<{ Params: { id: string } }>('/v1/governance/proposals/:id', { schema: { tags: ['governance'], summary: 'A proposal and its votes' } }, async (req) => {
    const p = query().state.get(proposalKey(req.params.id.toLowerCase()));
    if (!p) throw new SalusError('NOT_FOUND', `no proposal ${req.params.id}`);
    return p;
  });
}
