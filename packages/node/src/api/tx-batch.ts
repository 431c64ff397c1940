import type { FastifyInstance } from 'fastify';
import { SalusError, decode, fromHex, v } from '@salus/core';
import type { ApiDeps } from './server.js';

/** Most transactions one batch request may carry, and its largest body (a batch of 1,000 transactions of the ~300 bytes typical of identity and records writes is ~0.3 MB). */
export const TX_BATCH_MAX = 1000;
export const TX_BATCH_BYTES_MAX = 8 * 1024 * 1024;

export type TxBatchItem =
  | { readonly hash: string; readonly status: 'pending' }
  | { readonly status: 'rejected'; readonly error: { readonly code: string; readonly message: string } };

/**
 * POST /v1/txs/batch: many signed transactions in one request (an integration engine's backlog,
 * a bulk load), admitted one by one in the order given, as POST /v1/txs admits one. Not
 * all-or-nothing: each transaction gets its own answer (its hash, or the typed error that refused
 * it), so a refused one does not hold the others back; a malformed request is refused whole and
 * admits nothing. Answers mean admission (as 202 does), never commit: wait on each hash with GET
 * /v1/txs/:hash or POST /v1/txs?wait=commit. One HTTP exchange for up to TX_BATCH_MAX transactions
 * removes most of the per-request cost a validator pays for its clients.
 */
export function registerTxBatch(app: FastifyInstance, d: ApiDeps): void {
  app.post<{ Body: Buffer | { txs?: unknown } }>(
    '/v1/txs/batch',
    {
      bodyLimit: TX_BATCH_BYTES_MAX,
      schema: {
        tags: ['transactions'],
        summary: `Submit up to ${TX_BATCH_MAX} signed transactions (application/cbor: an array of transaction byte strings; or JSON {"txs": [hex, …]}); each is admitted or refused on its own`,
      },
    },
    async (req) => {
      const txs = batchOf(req.body);
      const results: TxBatchItem[] = [];
      for (const bytes of txs) {
        try {
          await d.beforeSubmit?.(bytes);
          results.push({ hash: d.chain.submit(bytes), status: 'pending' });
        } catch (e) {
          if (!(e instanceof SalusError)) throw e;
          d.metrics.txsRejected.inc({ code: e.code });
          results.push({ status: 'rejected', error: { code: e.code, message: e.message } });
        }
      }
      d.metrics.mempoolSize.set(d.chain.mempool.size);
      return { results };
    },
  );
}

function batchOf(body: unknown): Uint8Array[] {
  if (Buffer.isBuffer(body)) return counted(v.list(decode(new Uint8Array(body), TX_BATCH_BYTES_MAX), 'txs', Infinity)).map((t, i) => v.bytes(t, `txs[${i}]`));
  const o = body as { txs?: unknown } | undefined;
  if (!o || typeof o !== 'object' || !Array.isArray(o.txs)) throw new SalusError('INVALID_FIELD', 'body must be a CBOR array of transactions, or {"txs": ["<hex of a canonical CBOR transaction>", …]}');
  return counted(o.txs).map((t, i) => {
    if (typeof t !== 'string') throw new SalusError('INVALID_FIELD', `txs[${i}] must be a hex string`, { field: `txs[${i}]` });
    try {
      return fromHex(t);
    } catch {
      throw new SalusError('MALFORMED_ENCODING', `txs[${i}] is not hex`, { field: `txs[${i}]` });
    }
  });
}

function counted(list: unknown[]): unknown[] {
  if (list.length > TX_BATCH_MAX) throw new SalusError('OVERSIZE', `a batch carries at most ${TX_BATCH_MAX} transactions, this one ${list.length}`, { count: list.length });
  return list;
}
