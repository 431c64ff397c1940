import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import { getKey, getOrg, patientKey } from './state.js';
import type { RouteServices } from '@salus/module';

export function identityRoutes(app: FastifyInstance, services: RouteServices): void {
  app.get<{ Params: { id: string } }>('/v1/identity/orgs/:id', { schema: { tags: ['identity'], summary: 'An organisation' } }, async (req) => {
    const org = getOrg(services.committed(), req.params.id);
    if (!org) throw new SalusError('NOT_FOUND', `no organisation ${req.params.id}`);
    return org;
  });
  app.get<{ Params: { key: string } }>('/v1/identity/keys/:key', { schema: { tags: ['identity'], summary: 'A registered signing key' } }, async (req) => {
    const rec = getKey(services.committed(), req.params.key.toLowerCase());
    if (!rec) throw new SalusError('NOT_FOUND', `no key ${req.params.key}`);
    return rec;
  });
  app.get<{ Params: { id: string } }>('/v1/identity/patients/:id', { schema: { tags: ['identity'], summary: 'A patient pseudonym' } }, async (req) => {
    const rec = services.committed().get(patientKey(req.params.id));
    if (!rec) throw new SalusError('NOT_FOUND', `no patient ${req.params.id}`);
    return rec;
  });
}
