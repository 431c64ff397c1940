import { ERROR_CATALOGUE, SalusError } from '@salus/core';
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
};

export function operationOutcome(code: string, diagnostics: string, severity: 'error' | 'fatal' = 'error') {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: ISSUE[code] ?? 'processing', details: { text: code }, diagnostics }] };
}

export function sendOutcome(reply: FastifyReply, err: unknown, log: (msg: string, ctx: object) => void): FastifyReply {
  let e: SalusError;
  if (err instanceof SalusError) e = err;
  else if ((err as FastifyError).validation || (err as FastifyError).code?.startsWith('FST_ERR_CTP')) e = new SalusError('INVALID_FIELD', (err as Error).message);
  else {
    log('internal error in the FHIR API', { err: (err as Error).message, stack: (err as Error).stack });
    return reply.status(500).type('application/fhir+json').send(operationOutcome('INTERNAL', 'internal error', 'fatal'));
  }
  // an unauthenticated caller is 401, whatever the underlying reason; a revoked key is no longer anyone
  const status = e.code === 'UNREGISTERED_SIGNER' ? 401 : ERROR_CATALOGUE[e.code].status;
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="fhir"');
  return reply.status(status).type('application/fhir+json').send(operationOutcome(e.code, e.message));
}
