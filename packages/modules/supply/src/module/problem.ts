import type { FastifyInstance } from 'fastify';
import { SalusError } from '@salus/core';
import { EPCIS_EXCEPTION_OF } from '../errors.js';

/**
 * Errors of the EPCIS routes as the REST binding gives them: an RFC 7807 problem whose `type` is the
 * EPCIS exception (`epcisException:ValidationException`, ...), with the node's own `error` object
 * beside it (code, message, meta: the event, field and rule), so EPCIS clients and the SDK both
 * read it. Errors that are not the node's typed ones go to the node's handler.
 */
export function epcisProblems(scope: FastifyInstance): void {
  scope.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof SalusError)) throw err;
    const type = (err.meta?.epcisException as string | undefined) ?? EPCIS_EXCEPTION_OF[err.code] ?? (err.status >= 500 ? 'ImplementationException' : 'ValidationException');
    return reply
      .status(err.status)
      .type('application/problem+json')
      .send({ type: `epcisException:${type}`, title: err.code, status: err.status, detail: err.message, error: err.toJSON() });
  });
}
