import { mkdirSync } from 'node:fs';
import { pino, destination, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { type Ed25519, type IdentityKeys, precommitSignBytes, toHex } from '@salus/core';
import { type ConsensusEngine, SoloEngine, systemClock, type Clock } from '@salus/consensus';
import { openDb, type Db } from './storage/db.js';
import { StateStore } from './state/store.js';
import { BlockStore } from './ledger/blockstore.js';
import { Chain } from './ledger/chain.js';
import { createApplication, MODULES } from './app/modules.js';
import { createApi } from './api/server.js';
import { createMetrics, type Metrics } from './api/metrics.js';
import { verifyDataDir } from './ledger/verify.js';
import { createNativeEd25519 } from './crypto/native-ed25519.js';
import { mergeOptions, type NodeOptions, type NodeOptionsInput } from './config/options.js';
import type { Genesis } from './config/genesis.js';

export interface NodeInput {
  readonly genesis: Genesis;
  readonly nodeKeys: IdentityKeys;
  readonly dataDir: string;
  readonly dbFile: string;
  readonly options?: NodeOptionsInput;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * The composition root: the only place that wires storage, state, ledger, application modules,
 * consensus and the API together (Lodestar's habit: subsystems take (opts, deps), assembled here).
 */
export class SalusNode {
  readonly opts: NodeOptions;
  readonly ed: Ed25519 = createNativeEd25519();
  readonly metrics: Metrics = createMetrics();
  readonly log: Logger;
  readonly db: Db;
  readonly state: StateStore;
  readonly blocks: BlockStore;
  readonly chain: Chain;
  private engine: ConsensusEngine | undefined;
  private api: FastifyInstance | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly input: NodeInput) {
    this.opts = mergeOptions(input.options);
    this.log = input.logger ?? pino({ level: this.opts.log.level }, destination(2));
    mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
    this.db = openDb(input.dbFile);
    this.state = new StateStore(this.db, this.opts.state);
    this.blocks = new BlockStore(this.db);
    const app = createApplication(input.genesis.chainId, this.ed, this.state);
    this.chain = new Chain(this.opts.chain, {
      db: this.db,
      genesis: input.genesis,
      ed: this.ed,
      app,
      state: this.state,
      blocks: this.blocks,
      events: {
        onBlock: (header, results) => {
          this.metrics.height.set(header.height);
          this.metrics.lastCommitTime.set(header.time / 1000);
          this.metrics.txsCommitted.inc(results.length);
          this.metrics.blockTxs.observe(results.length);
          for (const r of results) if (r.code !== 'OK') this.metrics.txsFailed.inc({ code: r.code });
          if (results.length > 0) this.log.debug({ height: header.height, txs: results.length }, 'block committed');
        },
      },
    });
    try {
      this.chain.open();
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.apiApp = app;
  }

  private readonly apiApp;

  get nodeId(): string {
    return toHex(this.input.nodeKeys.signing.publicKey);
  }

  /** Starts block production and the HTTP API; resolves with the API's address. */
  async start(): Promise<{ url: string }> {
    const keys = this.input.nodeKeys;
    const chainId = this.input.genesis.chainId;
    this.engine = new SoloEngine(this.opts.solo, {
      host: this.chain,
      clock: this.input.clock ?? systemClock,
      signer: {
        publicKey: keys.signing.publicKey,
        signPrecommit: (h, r, hash) => this.ed.sign(keys.signing.secretKey, precommitSignBytes(chainId, h, r, hash)),
      },
      metrics: { onCommit: (_h, _r, _n, ms) => this.metrics.blockCommitSeconds.observe(ms / 1000) },
      onError: (e) => {
        this.log.fatal({ err: (e as Error).message }, 'block production stopped');
        void this.stop();
      },
    });
    this.api = await createApi(this.opts.api, {
      chain: this.chain,
      blocks: this.blocks,
      state: this.state,
      app: this.apiApp,
      modules: MODULES,
      metrics: this.metrics,
      nodeId: this.nodeId,
      verify: () => verifyDataDir(this.input.dbFile, { genesis: this.input.genesis, ed: this.ed, chain: this.opts.chain, state: this.opts.state }),
      log: (msg, ctx) => this.log.error(ctx, msg),
    });
    const address = await this.api.listen({ host: this.opts.api.host, port: this.opts.api.port });
    this.metrics.height.set(this.chain.lastHeight());
    this.engine.start();
    this.log.info({ chainId, height: this.chain.lastHeight(), api: address }, 'node started');
    return { url: address };
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.engine?.stop();
      await this.api?.close();
      this.db.close();
      this.log.info({ height: this.chain.lastHeight() }, 'node stopped');
    })();
    return this.stopped;
  }
}
