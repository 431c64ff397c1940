import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalusError, decodeTx, encodeTx, fromHex, type SignedTx } from '@salus/core';
import type { ModuleServiceDeps, RouteServices } from '@salus/module';
import { CAPTURE_BYTES_MAX } from '../epcis/document.js';
import { EPCIS_EXCEPTION_OF } from '../errors.js';
import { epcisProblems } from '../module/problem.js';

/**
 * The EPCIS 2.0 REST binding's capture interface on this node. The body is the EPCISDocument as
 * the capturing system made it; the capturing member's signature over the `supply/capture`
 * transaction that carries the document's text comes in three headers (`Salus-Signer`,
 * `Salus-Nonce`, `Salus-Signature`: hex key, decimal nonce, hex signature), so the ledger records
 * exactly what was sent, under its sender's key. The node admits the transaction (every check,
 * run on the state: a refusal answers at once) and answers 202 with the capture job's location,
 * `/epcis/capture/{id}` (the transaction hash), which reports running, success or the failure.
 */
export const CAPTURE_HEADERS = { signer: 'salus-signer', nonce: 'salus-nonce', signature: 'salus-signature' } as const;

function header(req: FastifyRequest, name: string): string {
  const x = req.headers[name];
  if (typeof x !== 'string' || x === '') throw new SalusError('UNREGISTERED_SIGNER', `capture needs the ${name} header: the capturing member's signature over the supply/capture transaction (see SupplyClient.capture)`, { field: name });
  return x;
}

function signedCapture(chainId: string, req: FastifyRequest, document: string): SignedTx {
  const signer = header(req, CAPTURE_HEADERS.signer);
  const nonce = Number(header(req, CAPTURE_HEADERS.nonce));
  const signature = header(req, CAPTURE_HEADERS.signature);
  if (!/^[0-9a-f]{64}$/.test(signer)) throw new SalusError('INVALID_FIELD', `${CAPTURE_HEADERS.signer} is a hex Ed25519 key`, { field: CAPTURE_HEADERS.signer });
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new SalusError('INVALID_FIELD', `${CAPTURE_HEADERS.nonce} is a non-negative integer`, { field: CAPTURE_HEADERS.nonce });
  if (!/^[0-9a-f]{128}$/.test(signature)) throw new SalusError('INVALID_FIELD', `${CAPTURE_HEADERS.signature} is a hex Ed25519 signature`, { field: CAPTURE_HEADERS.signature });
  return { chainId, signer: fromHex(signer, 32), nonce, module: 'supply', type: 'capture', payload: { document }, signature: fromHex(signature, 64) };
}

export interface CaptureJob {
  readonly captureID: string;
  readonly running: boolean;
  readonly success: boolean;
  readonly captureErrorBehaviour: 'rollback';
  readonly createdAt?: string;
  readonly finishedAt?: string;
  readonly errors: { readonly type: string; readonly title: string; readonly status: number; readonly detail?: string }[];
}

export function captureServiceRoutes(deps: ModuleServiceDeps) {
  return (app: FastifyInstance, s: RouteServices): void => {
    void app.register(async (scope) => {
      // the document's exact text is what the signature covers: read it as a string
      epcisProblems(scope);
      scope.removeContentTypeParser('application/json');
      // read up to twice the capture limit, so that a document over it is answered as EPCIS says (CaptureLimitExceededException)
      scope.addContentTypeParser(['application/json', 'application/ld+json'], { parseAs: 'string', bodyLimit: 2 * CAPTURE_BYTES_MAX }, (_req, body, done) => done(null, body));

      scope.post<{ Body: string }>('/epcis/capture', { schema: { tags: ['supply'], summary: "EPCIS 2.0 capture: an EPCISDocument (JSON-LD), signed by a member of the capturing organisation in the Salus-Signer, -Nonce and -Signature headers; 202 with the capture job's location" } }, async (req, reply) => {
        if (typeof req.body !== 'string') throw new SalusError('UNSUPPORTED_MEDIA_TYPE', 'capture takes application/ld+json or application/json');
        if (req.body.length > CAPTURE_BYTES_MAX) throw new SalusError('EPCIS_CAPTURE_LIMIT', `a capture document is at most ${CAPTURE_BYTES_MAX} bytes; this one has ${req.body.length}`, { limit: CAPTURE_BYTES_MAX, epcisException: 'CaptureLimitExceededException' });
        const bytes = encodeTx(signedCapture(s.chainId, req, req.body));
        const id = deps.ledger.submit(bytes);
        return reply.code(202).header('location', `/epcis/capture/${id}`).send({ captureID: id });
      });

      scope.get<{ Params: { id: string } }>('/epcis/capture/:id', { schema: { tags: ['supply'], summary: 'An EPCIS capture job: running, success, or its errors as EPCIS exceptions (capture is all or nothing per document)', params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['id'] } } }, async (req): Promise<CaptureJob> => {
        const base = { captureID: req.params.id, captureErrorBehaviour: 'rollback' as const };
        if (deps.ledger.mempool.has(req.params.id)) return { ...base, running: true, success: false, errors: [] };
        const at = deps.blocks.findTx(fromHex(req.params.id, 32));
        const tx = at ? deps.blocks.getTx(at.height, at.index) : undefined;
        const isCapture = tx ? ((t) => t.module === 'supply' && t.type === 'capture')(decodeTx(tx.tx)) : false;
        if (!at || !isCapture) throw new SalusError('NOT_FOUND', `no capture job ${req.params.id} (never submitted, or dropped before its block)`, { epcisException: 'NoSuchResourceException' });
        const result = s.blockResults(at.height)?.find((r) => r.hash === req.params.id)?.result;
        const finishedAt = new Date(deps.blocks.requireBlock(at.height).header.time).toISOString();
        if (!result) throw new SalusError('NOT_FOUND', `capture job ${req.params.id} has no result`);
        if (result.code === 'OK') return { ...base, running: false, success: true, finishedAt, errors: [] };
        const type = EPCIS_EXCEPTION_OF[result.code] ?? 'ImplementationException';
        return { ...base, running: false, success: false, finishedAt, errors: [{ type: `epcisException:${type}`, title: result.code, status: 409, detail: result.log }] };
      });
    });
  };
}
