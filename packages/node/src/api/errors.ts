import { SalusError } from '@salus/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/** One error shape at the HTTP edge: { error: { code, message, meta } } with the catalogue's status. */
export function installErrorHandler(app: FastifyInstance, log: (msg: string, ctx: object) => void): void {
  app.setErrorHandler((err: FastifyError | SalusError, _req, reply) => {
    let e: SalusError;
    if (err instanceof SalusError) e = err;
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new SalusError('OVERSIZE', 'request body is too large');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new SalusError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type; send application/cbor or application/json');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError || (err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      e = new SalusError('MALFORMED_ENCODING', `request body is not valid JSON: ${err.message}`);
    } else if ((err as FastifyError).validation) e = new SalusError('INVALID_FIELD', err.message);
    else {
      log('internal error', { err: err.message, stack: err.stack });
      return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error', meta: {} } });
    }
    return reply.status(e.status).send({ error: e.toJSON() });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new SalusError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).send({ error: e.toJSON() });
  });
}
