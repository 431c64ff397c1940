import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { SalusError, decode, decodeTx, fromHex, toHex, txHash, utf8ToBytes } from '@salus/core';
import type { Chain } from '../ledger/chain.js';
import type { BlockStore } from '../ledger/blockstore.js';
import type { StateStore } from '../state/store.js';
import type { ApiOptions } from '../config/options.js';
import type { Metrics } from './metrics.js';
import { commitView, headerView, jsonView, validatorsView } from './views.js';
import { installErrorHandler } from './errors.js';
import { registerTxBatch } from './tx-batch.js';
import type { VerifyReport } from '../ledger/verify.js';
import type { Application, AppModule, RouteServices, TxResult, WallClock } from '@salus/module';

export interface ApiDeps {
  readonly chain: Chain;
  readonly blocks: BlockStore;
  readonly state: StateStore;
  readonly app: Application;
  readonly modules: readonly AppModule[];
  readonly clock: WallClock;
  readonly metrics: Metrics;
  readonly nodeId: string;
  readonly consensus: () => Record<string, unknown>;
  /** refreshes gauges of node services before a scrape */
  readonly observe?: () => Promise<void>;
  readonly verify: () => VerifyReport;
  readonly log: (msg: string, ctx: object) => void;
  /** node-local checks before a transaction is admitted (e.g. the blobs a record write names are stored) */
  readonly beforeSubmit?: (bytes: Uint8Array) => Promise<void>;
  /** routes of node services beyond the modules' state views */
  readonly extraRoutes?: (app: FastifyInstance, services: RouteServices) => void;
}

/**
 * A state value (or its absence) with its sparse Merkle proof against the app hash in the latest
 * committed header (header H carries the app hash after block H − 1, so the proof is of the state
 * at version H − 1), with that header, its commit and its validator set: all a light client needs.
 */
function proveState(d: ApiDeps, keyText: string, at?: number) {
  const latest = d.chain.lastHeight();
  if (latest === 0) throw new SalusError('NOT_FOUND', 'no block has committed yet; the genesis state is not provable until block 1');
  const version = at ?? latest - 1;
  if (!Number.isSafeInteger(version) || version < 0 || version > latest - 1) throw new SalusError('NOT_FOUND', `the state after block ${version} is not committed to by a header yet`, { version });
  const { value, proof, root } = d.state.prove(utf8ToBytes(keyText), version);
  const block = d.blocks.requireBlock(version + 1);
  return {
    key: keyText,
    version,
    root: toHex(root),
    value: value ? toHex(value) : null,
    decoded: value ? jsonView(decode(value)) : null,
    proof: { siblings: proof.siblings.map(toHex), leaf: proof.leaf ? { path: toHex(proof.leaf.path), valueHash: toHex(proof.leaf.valueHash) } : null },
    header: headerView(block.header),
    commit: commitView(block.commit),
    validators: validatorsView(d.chain.validatorsFor(version + 1)),
  };
}

const hashParam = { type: 'object', properties: { hash: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } }, required: ['hash'] } as const;

export async function createApi(opts: ApiOptions, d: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyBytesMax });
  installErrorHandler(app, d.log);
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/cbor', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Salus node API', version: '0.1.0', description: 'Submit signed transactions; read blocks, transactions and state with proofs.' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/v1/status', { schema: { tags: ['node'], summary: 'Node, chain and consensus status' } }, async () => {
    const h = d.chain.lastHeader();
    return {
      chainId: d.chain.chainId,
      nodeId: d.nodeId,
      height: d.chain.lastHeight(),
      // the first block held: 0 from genesis, the snapshot height on a node started by state sync
      base: d.blocks.base,
      latestBlockHash: h ? headerView(h).hash : null,
      latestBlockTime: h ? new Date(h.time).toISOString() : null,
      appHash: toHex(d.state.root),
      consensus: d.consensus(),
      mempool: { size: d.chain.mempool.size, bytes: d.chain.mempool.sizeBytes },
      validators: d.chain.validatorsFor(d.chain.lastHeight() + 1).length,
    };
  });

  app.post<{ Querystring: { wait?: 'commit' | 'none'; timeoutMs?: number }; Body: Buffer | { tx?: string } }>(
    '/v1/txs',
    {
      schema: {
        tags: ['transactions'],
        summary: 'Submit a signed transaction (application/cbor bytes, or JSON {"tx": hex})',
        description:
          '202 means admitted to this node\'s mempool: held in memory and gossiped, not durable (a node that stops before the transaction is gossiped or committed loses it). ' +
          'Wait with ?wait=commit or GET /v1/txs/{hash}, and resubmit the same signed bytes if it does not commit: a copy still pending answers 409 CONFLICT, one already committed 409 NONCE_REPLAYED, each with its hash in meta.',
        querystring: {
          type: 'object',
          properties: { wait: { type: 'string', enum: ['commit', 'none'] }, timeoutMs: { type: 'integer', minimum: 1 } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      let bytes: Uint8Array;
      if (Buffer.isBuffer(req.body)) bytes = new Uint8Array(req.body);
      else {
        const b = req.body as { tx?: unknown } | undefined;
        if (!b || typeof b !== 'object' || typeof b.tx !== 'string') throw new SalusError('INVALID_FIELD', 'body must be {"tx": "<hex of the canonical CBOR transaction>"}');
        try {
          bytes = fromHex(b.tx);
        } catch {
          throw new SalusError('MALFORMED_ENCODING', 'tx must be hex');
        }
      }
      let hash: string;
      try {
        await d.beforeSubmit?.(bytes);
        hash = d.chain.submit(bytes);
      } catch (e) {
        if (e instanceof SalusError) d.metrics.txsRejected.inc({ code: e.code });
        throw e;
      }
      d.metrics.mempoolSize.set(d.chain.mempool.size);
      if (req.query.wait !== 'commit') return reply.status(202).send({ hash, status: 'pending' });
      const receipt = await d.chain.waitForCommit(hash, Math.min(req.query.timeoutMs ?? opts.commitWaitMsMax, opts.commitWaitMsMax));
      return { ...receipt, status: 'committed' };
    },
  );

  registerTxBatch(app, d);

  app.get<{ Params: { key: string } }>(
    '/v1/accounts/:key',
    {
      schema: {
        tags: ['transactions'],
        summary: 'The next nonce a signer must use (committed and pending)',
        params: { type: 'object', properties: { key: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } }, required: ['key'] },
      },
    },
    async (req) => {
      const key = req.params.key.toLowerCase();
      return { key, committedNonce: d.app.nextNonce(d.app.committedView(), key), nextNonce: d.app.pendingNonce(key) };
    },
  );

  app.get<{ Params: { hash: string } }>('/v1/txs/:hash', { schema: { tags: ['transactions'], summary: 'A committed transaction with its inclusion proof', params: hashParam } }, async (req) => {
    const hash = req.params.hash.toLowerCase();
    const loc = d.blocks.findTx(fromHex(hash));
    if (!loc) {
      if (d.chain.mempool.has(hash)) return { hash, status: 'pending' };
      throw new SalusError('NOT_FOUND', `no transaction ${hash}`);
    }
    const t = d.blocks.getTx(loc.height, loc.index)!;
    const block = d.blocks.requireBlock(loc.height);
    const proof = d.blocks.txProof(loc.height, loc.index);
    return {
      hash,
      status: 'committed',
      height: loc.height,
      index: loc.index,
      tx: toHex(t.tx),
      decoded: jsonView(decodeTx(t.tx)),
      result: decode(t.result),
      proof: { leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path.map(toHex) },
      header: headerView(block.header),
      commit: commitView(block.commit),
      validators: validatorsView(d.chain.validatorsFor(loc.height)),
    };
  });

  app.get<{ Params: { height: string } }>('/v1/blocks/:height', { schema: { tags: ['blocks'], summary: 'A block by height, or "latest"' } }, async (req) => {
    const height = req.params.height === 'latest' ? d.chain.lastHeight() : Number(req.params.height);
    if (!Number.isSafeInteger(height) || height < 1) throw new SalusError('INVALID_FIELD', 'height must be a positive integer or "latest"');
    const b = d.blocks.requireBlock(height);
    const txs = d.blocks.getTxs(height);
    return {
      height,
      header: headerView(b.header),
      commit: commitView(b.commit),
      resultsRoot: toHex(b.resultsRoot),
      txs: txs.map((t) => ({ hash: toHex(txHash(t.tx)), result: decode(t.result) })),
    };
  });

  app.get<{ Querystring: { height?: number } }>(
    '/v1/validators',
    { schema: { tags: ['blocks'], summary: 'The validator set that signs a height', querystring: { type: 'object', properties: { height: { type: 'integer', minimum: 1 } } } } },
    async (req) => {
      const height = req.query.height ?? d.chain.lastHeight() + 1;
      if (height > d.chain.lastHeight() + 1) throw new SalusError('NOT_FOUND', `the validator set of height ${height} is not known before block ${height - 1} commits`, { height });
      return { height, validators: validatorsView(d.chain.validatorsFor(height)) };
    },
  );

  app.get<{ Querystring: { key: string } }>(
    '/v1/state',
    {
      schema: {
        tags: ['state'],
        summary: 'A state value (or its absence) with a proof against the app hash of the latest committed header',
        querystring: { type: 'object', properties: { key: { type: 'string', minLength: 1, maxLength: 256 } }, required: ['key'] },
      },
    },
    async (req) => proveState(d, req.query.key),
  );

  app.get('/v1/verify', { schema: { tags: ['node'], summary: 'Re-verify the whole chain from genesis' } }, async (_req, reply) => {
    const report = d.verify();
    return reply.status(report.ok ? 200 : 500).send(report);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    d.consensus();
    await d.observe?.();
    d.metrics.mempoolSize.set(d.chain.mempool.size);
    d.metrics.mempoolBytes.set(d.chain.mempool.sizeBytes);
    return reply.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });

  app.get('/v1/modules', { schema: { tags: ['node'], summary: 'The installed modules: transaction types, events and error codes' } }, async () => ({
    modules: d.modules.map((m) => ({
      name: m.name,
      txTypes: Object.entries(m.txs?.types ?? {}).map(([type, doc]) => ({ type, summary: doc.summary, open: doc.open === true })),
      events: m.events ?? [],
      errors: Object.entries(m.errors ?? {}).map(([code, e]) => ({ code, status: e.status, title: e.title })),
    })),
  }));

  const services: RouteServices = {
    chainId: d.chain.chainId,
    nodeId: d.nodeId,
    clock: d.clock,
    committed: () => d.app.committedView(),
    lastHeight: () => d.chain.lastHeight(),
    prove: (key: string, at?: number) => proveState(d, key, at),
    blockResults: (height: number) =>
      height < 1 || height > d.chain.lastHeight() ? undefined : d.blocks.getTxs(height).map((r) => ({ hash: toHex(txHash(r.tx)), result: decode(r.result) as TxResult })),
    waitForHeight: (height: number, timeoutMs: number) => d.chain.waitForHeight(height, timeoutMs),
  };
  for (const m of d.modules) m.routes?.(app, services);
  d.extraRoutes?.(app, services);
  return app;
}
