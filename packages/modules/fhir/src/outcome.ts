import { SalusError } from '@salus/core';
import type { FastifyError, FastifyReply } from 'fastify';

/** FHIR errors: an OperationOutcome with the HTTP status of the catalogue (and FHIR's issue codes). */
const ISSUE: Partial<Record<string, string>> = {
  NOT_FOUND: 'not-found',
  CONSENT_REQUIRED: 'forbidden',
  FORBIDDEN: 'forbidden',
  NOT_THE_PATIENT: 'forbidden',
  BAD_SIGNATURE: 'login',
  REQUEST_EXPIRED: 'expired',
  UNREGISTERED_SIGNER: 'login',
  ERASED: 'deleted',
  INVALID_FIELD: 'invalid',
  MALFORMED_ENCODING: 'structure',
  LEDGER_UNAVAILABLE: 'transient',
  TOO_MANY_REQUESTS: 'throttled',
  TIMEOUT: 'timeout',
  OVERSIZE: 'too-costly',
  UNSUPPORTED_MEDIA_TYPE: 'not-supported',
  INVALID_RESOURCE: 'invalid',
  PRECONDITION_FAILED: 'conflict',
  GONE: 'deleted',
  CONFLICT: 'conflict',
};

export function operationOutcome(code: string, diagnostics: string, severity: 'error' | 'fatal' = 'error') {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: ISSUE[code] ?? 'processing', details: { text: code }, diagnostics }] };
}

export function sendOutcome(reply: FastifyReply, err: unknown, log: (msg: string, ctx: object) => void): FastifyReply {
  let e: SalusError;
  const fst = (err as FastifyError).code;
  if (err instanceof SalusError) e = err;
  else if (fst === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new SalusError('UNSUPPORTED_MEDIA_TYPE', 'send application/fhir+json (or application/json)');
  else if (fst === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new SalusError('OVERSIZE', 'the resource is larger than this server takes');
  else if ((err as FastifyError).validation || (err as FastifyError).code?.startsWith('FST_ERR_CTP')) e = new SalusError('INVALID_FIELD', (err as Error).message);
  else {
    log('internal error in the FHIR API', { err: (err as Error).message, stack: (err as Error).stack });
    return reply.status(500).type('application/fhir+json').send(operationOutcome('INTERNAL', 'internal error', 'fatal'));
  }
  // an unauthenticated caller is 401, whatever the underlying reason; a revoked key is no longer anyone
  const status = e.code === 'UNREGISTERED_SIGNER' ? 401 : e.status;
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="fhir"');
  if (status === 429) reply.header('retry-after', '1');
  return reply.status(status).type('application/fhir+json').send(operationOutcome(e.code, e.message));
}
