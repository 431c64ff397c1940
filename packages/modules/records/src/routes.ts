import { SalusError } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import { getRecord, getVersion, patientRecords } from './state.js';
import type { RouteServices } from '@salus/module';

/** Public views of the records module's ledger state: consent facts and version metadata, no content. */
export function recordsStateRoutes(app: FastifyInstance, services: RouteServices): void {
  app.get<{ Params: { id: string } }>('/v1/records/patients/:id', { schema: { tags: ['records'], summary: "A patient's grants, emergency accesses, keyring and erasure, as on the ledger" } }, async (req) => {
    const kv = services.committed();
    if (!kv.has(`identity/patient/${req.params.id}`)) throw new SalusError('NOT_FOUND', `no patient ${req.params.id}`);
    return { patient: req.params.id, ...patientRecords(kv, req.params.id) };
  });
  app.get<{ Params: { id: string } }>('/v1/records/:id', { schema: { tags: ['records'], summary: "A record's versions: author, time, ciphertext hash and envelope recipients" } }, async (req) => {
    const kv = services.committed();
    const rec = getRecord(kv, req.params.id);
    const versions = [];
    for (let v = 1; v <= rec.latest; v++) versions.push({ version: v, ...getVersion(kv, req.params.id, v) });
    return { record: req.params.id, ...rec, versions };
  });
}
