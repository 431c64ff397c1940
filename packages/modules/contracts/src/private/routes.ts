import { SalusError, decode, sha256, toHex, v, type Canonical } from '@salus/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestGuard, type RouteServices } from '@salus/module';
import { CONTRACT_NAME } from '../module/payloads.js';
import type { PrivateExecution } from './service.js';
import { getPrivateRoot, privateRootKey } from './state.js';

const SKEW_MS = 5 * 60_000;
const METHOD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const KEY = /^[\x20-\x7e]{1,176}$/;
const nameParam = { type: 'object', properties: { name: { type: 'string', pattern: CONTRACT_NAME.source } }, required: ['name'] } as const;

function cbor(req: FastifyRequest): Uint8Array {
  if (!Buffer.isBuffer(req.body)) throw new SalusError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/cbor');
  return new Uint8Array(req.body);
}

/**
 * The party-node routes of private contracts. Every one takes a signed request (the caller's key
 * is who calls, or who reads); a node answers only for contracts its organisation is a party to.
 */
export function privateRoutes(ex: PrivateExecution) {
  return (app: FastifyInstance, s: RouteServices): void => {
    const guard = new RequestGuard({ chainId: s.chainId, nodeId: s.nodeId, ed: ex.deps.ed, skewMs: SKEW_MS, noncesMax: 200_000, clock: s.clock });
    const signed = (req: FastifyRequest, body?: Uint8Array) => guard.check(req, body ? toHex(sha256(body)) : '').key;

    app.post<{ Params: { name: string } }>(
      '/v1/contracts/:name/private/endorse',
      { schema: { tags: ['contracts'], summary: "A party's node runs a private call on its private state and signs the result (body: CBOR {content, envelopes}, the input encrypted to every party; signed request of the caller)", params: nameParam } },
      async (req) => {
        const body = cbor(req);
        return ex.endorse(req.params.name, signed(req, body), body);
      },
    );

    app.post<{ Params: { name: string; method: string } }>(
      '/v1/contracts/:name/private/query/:method',
      { schema: { tags: ['contracts'], summary: "Runs a query method of a private contract on this party's private state (body: CBOR {args}; signed request of a member of a party)" } },
      async (req) => {
        const body = cbor(req);
        const key = signed(req, body);
        if (!METHOD.test(req.params.method)) throw new SalusError('INVALID_FIELD', 'not a method name', { field: 'method' });
        const r = v.record(decode(body), 'body');
        v.onlyKeys(r, ['args'], 'body');
        return { ...(await ex.query(req.params.name, key, req.params.method, (r.args ?? null) as Canonical)), height: s.lastHeight() };
      },
    );

    app.get<{ Params: { name: string }; Querystring: { key?: string } }>(
      '/v1/contracts/:name/private/state',
      {
        schema: {
          tags: ['contracts'],
          summary: "A private value with its proof against the contract's private-state root, and that root's proof on the ledger: what one party shows another (signed request of a member of a party)",
          params: nameParam,
          querystring: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        },
      },
      async (req) => {
        const caller = signed(req);
        const key = req.query.key ?? '';
        if (!KEY.test(key)) throw new SalusError('INVALID_FIELD', 'a contract state key is 1 to 176 printable ASCII characters', { field: 'key' });
        const p = await ex.prove(req.params.name, caller, key);
        // the ledger's proof of the root: of the state after the block that set it, or any later one
        const set = getPrivateRoot(s.committed(), req.params.name)?.height ?? 0;
        if (set > s.lastHeight() - 1) await s.waitForHeight(set + 1, 15_000);
        const ledger = s.prove(privateRootKey(req.params.name), Math.max(set, s.lastHeight() - 1)) as { decoded: { root?: string } | null };
        if (ledger.decoded?.root !== p.root) throw new SalusError('PRIVATE_NOT_READY', 'the private state moved on while its proof was made; retry');
        return {
          contract: req.params.name,
          key,
          value: p.value === undefined ? null : toHex(p.value),
          decoded: p.value === undefined ? null : decode(p.value),
          root: p.root,
          proof: { siblings: p.proof.siblings.map(toHex), leaf: p.proof.leaf ? { path: toHex(p.proof.leaf.path), valueHash: toHex(p.proof.leaf.valueHash) } : null },
          ledger,
        };
      },
    );
  };
}
