import { SalusError, type Canonical } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import type { RouteServices } from '@salus/module';
import { CONTRACT_NAME } from './payloads.js';
import { getCode, getInstance, instanceKey, type InstanceRecord } from './state.js';
import { requireAllowed } from './handlers.js';
import { requireActive, requirePublic } from './status.js';
import { trackingFrame, type ContractCaller } from './caller.js';

/** Gas a query may use: queries run off the ledger, but still on the node's CPU. */
export const QUERY_GAS = 10_000_000;
const HEX32 = /^[0-9a-f]{64}$/;

const nameParam = { type: 'object', properties: { name: { type: 'string', pattern: CONTRACT_NAME.source } }, required: ['name'] } as const;

/** Read-only routes: instances, code by hash, queries (optionally with proofs of what they read) and events. */
export function contractRoutes(run: ContractCaller) {
  return (app: FastifyInstance, s: RouteServices): void => {
    app.get('/v1/contracts', { schema: { tags: ['contracts'], summary: 'The contract instances on the ledger' } }, async () => {
      const contracts = s.committed().list('contracts/instance/', { limit: 1000 }).map(([, v]) => v as InstanceRecord);
      return { contracts };
    });

    app.get<{ Params: { name: string } }>('/v1/contracts/:name', { schema: { tags: ['contracts'], summary: 'A contract instance: code hash, manifest, status and the history of its versions', params: nameParam } }, async (req) => {
      const inst = getInstance(s.committed(), req.params.name);
      if (!inst) throw new SalusError('CONTRACT_NOT_FOUND', `no contract named ${req.params.name}`);
      return inst;
    });

    app.get<{ Params: { hash: string } }>('/v1/contracts/code/:hash', { schema: { tags: ['contracts'], summary: 'Bundled contract code by its SHA-256' } }, async (req) => {
      const hash = req.params.hash.toLowerCase();
      if (!HEX32.test(hash)) throw new SalusError('INVALID_FIELD', 'a code hash is 64 hex digits');
      const code = getCode(s.committed(), hash);
      if (!code) throw new SalusError('NOT_FOUND', `no code ${hash.slice(0, 12)}… is deployed`);
      return { codeHash: hash, ...code };
    });

    app.post<{ Params: { name: string; method: string }; Querystring: { prove?: string }; Body: { args?: unknown } }>(
      '/v1/contracts/:name/query/:method',
      {
        schema: {
          tags: ['contracts'],
          summary: "Runs a query method read-only on committed state; with prove=true, also returns every state entry it read with its proof (after the next block commits)",
          body: { type: 'object', properties: { args: {} }, additionalProperties: false },
        },
      },
      async (req) => {
        const height = s.lastHeight();
        const kv = s.committed();
        const inst = getInstance(kv, req.params.name);
        if (!inst) throw new SalusError('CONTRACT_NOT_FOUND', `no contract named ${req.params.name}`);
        requireActive(inst);
        requirePublic(inst);
        // queries carry no signature: only methods open to anyone are served here
        requireAllowed(kv, inst, req.params.method, '', 'query');
        const reads = new Set<string>([instanceKey(inst.name)]);
        const frame = trackingFrame({ contract: inst, signer: '', caller: null, height, time: s.clock.now(), txHash: null, state: kv, readOnly: true, depth: 0, emit: () => undefined }, reads);
        const out = run.invoke(frame, req.params.method, (req.body?.args ?? null) as Canonical, QUERY_GAS);
        if (req.query.prove !== 'true') return { value: out.value, gasUsed: out.gasUsed, height };
        // header h + 1 commits to the state after block h, which the query read
        await s.waitForHeight(height + 1, 15_000);
        return { value: out.value, gasUsed: out.gasUsed, height, reads: [...reads].sort().map((k) => s.prove(k)) };
      },
    );
  };
}

/** Blocks one events request scans at most (a client pages on with `next`). */
const EVENT_BLOCKS_MAX = 1000;

export function contractEventRoutes(app: FastifyInstance, s: RouteServices): void {
  app.get<{ Params: { name: string }; Querystring: { from?: number; limit?: number } }>(
    '/v1/contracts/:name/events',
    {
      schema: {
        tags: ['contracts'],
        summary: 'Events a contract emitted in committed transactions, from a height on; `next` is where to continue',
        params: nameParam,
        querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } } },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const from = req.query.from ?? 1;
      const last = Math.min(s.lastHeight(), from + EVENT_BLOCKS_MAX - 1);
      const events: { height: number; tx: string; event: string; data: unknown }[] = [];
      let h = from;
      // whole blocks only, so that `next` never splits one
      for (; h <= last && events.length < limit; h++) {
        for (const { hash, result } of s.blockResults(h) ?? []) {
          for (const e of result.events) {
            if (e.type === 'contracts.event' && e.attributes.contract === req.params.name) events.push({ height: h, tx: hash, event: String(e.attributes.event), data: e.attributes.data });
          }
        }
      }
      return { events, next: h };
    },
  );
}
