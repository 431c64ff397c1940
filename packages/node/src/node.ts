import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, destination, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { type Ed25519, type IdentityKeys, SalusError, bytesEqual, precommitSignBytes, toHex } from '@salus/core';
import { type ConsensusEngine, SoloEngine, systemClock, type Clock } from '@salus/consensus';
import { openStorage, storageKind } from './storage/open.js';
import type { SqlDb } from './storage/sql.js';
import { installNativeSha256 } from './crypto/native-sha256.js';
import { logFatal } from './storage/failure.js';
import { StateStore } from './state/store.js';
import { BlockStore } from './ledger/blockstore.js';
import { Chain } from './ledger/chain.js';
import { createApplication, MODULES } from './app/modules.js';
import { ModuleServices } from './app/services.js';
import { mountFhirFacade } from './app/fhir-mount.js';
import { createApi } from './api/server.js';
import { createMetrics, type Metrics } from './api/metrics.js';
import { verifyStorage } from './ledger/verify.js';
import { createNativeEd25519 } from './crypto/native-ed25519.js';
import { mergeOptions, type NodeOptions, type NodeOptionsInput } from './config/options.js';
import type { AppModule, Genesis } from '@salus/module';
import { P2P } from './p2p/index.js';
import { BftDriver } from './consensus/driver.js';
import { BlockSync } from './consensus/sync.js';
import { SnapshotServer } from './statesync/server.js';
import { checkSnapshotOptions } from './statesync/options.js';
import { restoreInterrupted } from './statesync/restore.js';
import { TxGossip } from './consensus/txgossip.js';
import { submitEvidence } from './consensus/evidence-submit.js';
import { SNAPSHOT_MESSAGE_BYTES_MAX, nodeChannels } from './consensus/channels.js';
import { consensusStatusView } from './consensus/status.js';
import { RecordsService } from '@salus/records';
import { openBlobStore } from './blobs/open.js';
import type { BlobStore } from '@salus/module';
import { BlobReplicator } from './blobs/replicator.js';
import { createNativeKeyWrap } from './crypto/native-hpke.js';
import { readKeyFile } from './config/keyfile.js';

/** state values a node on PostgreSQL keeps in memory (`state.valueCacheMax` overrides): ~10–20 MB */
const POSTGRES_VALUE_CACHE = 50_000;

export interface NodeInput {
  readonly genesis: Genesis;
  readonly nodeKeys: IdentityKeys;
  readonly dataDir: string;
  readonly dbFile: string;
  readonly options?: NodeOptionsInput;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** the installed modules (default: the registry, MODULES); a test plugs in its own */
  readonly modules?: readonly AppModule[];
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
  readonly db: SqlDb;
  readonly state: StateStore;
  readonly blocks: BlockStore;
  readonly chain: Chain;
  /** one clock for consensus, records, the FHIR facade and request authentication (tests inject a fake) */
  private readonly clock: Clock;
  private engine: ConsensusEngine | undefined;
  private p2p: P2P | undefined;
  private driver: BftDriver | undefined;
  private sync: BlockSync | undefined;
  /** state sync's serving side: snapshots, headers and chunks for peers starting from a snapshot */
  private snapshots: SnapshotServer | undefined;
  private txGossip: TxGossip | undefined;
  private api: FastifyInstance | undefined;
  /** ciphertexts and envelopes (the records services decide what is kept; this node stores and replicates them) */
  private readonly blobs: BlobStore;
  readonly records: RecordsService;
  /** the modules' node-side services (private contract execution, …) */
  private readonly moduleServices: ModuleServices;
  /** blob replication over the peer links, once they are up */
  private replicator: BlobReplicator | undefined;
  private stopped: Promise<void> | undefined;
  /** where the API listens, once it does */
  private apiUrl = '';

  constructor(private readonly input: NodeInput) {
    installNativeSha256();
    this.opts = mergeOptions(input.options);
    this.clock = input.clock ?? systemClock;
    this.log = input.logger ?? pino({ level: this.opts.log.level }, destination(2));
    mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
    // the embedded file, or the PostgreSQL schema `storage` names (options.ts)
    this.db = openStorage(this.opts.storage, input.dbFile, { quotaBytes: this.opts.storageQuotaBytes });
    // Opening reads stored data (state root, last block, validator sets): whatever fails there is corrupt data.
    try {
      // on PostgreSQL each read is a round trip: keep recent values (admission and execution read the same keys)
      const valueCacheMax = storageKind(this.opts.storage) === 'postgres' ? POSTGRES_VALUE_CACHE : 0;
      this.state = new StateStore(this.db, { valueCacheMax, ...this.opts.state });
      this.blocks = new BlockStore(this.db);
      const app = createApplication(input.genesis.chainId, this.ed, this.state, this.modules);
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
            this.p2p?.setAllowedKeys(this.allowedPeerKeys());
            this.records?.onBlock(header.height);
            this.moduleServices?.onBlock(header.height);
          },
          onTxAdmitted: (bytes, _hash, origin) => this.txGossip?.admitted(bytes, origin),
        },
      });
      if (restoreInterrupted(this.db)) throw new SalusError('CONFIG', 'a state sync into this data directory did not finish: start with stateSync configured to finish it, or start from an empty data directory');
      this.chain.open();
      this.apiApp = app;
      this.blobs = openBlobStore(this.opts.storage, input.dataDir, this.clock);
      const custodianKeyFile = this.opts.records.custodianKeyFile;
      this.records = new RecordsService(this.opts.records, {
        dataDir: input.dataDir,
        chain: this.chain,
        blocks: this.blocks,
        app,
        ed: this.ed,
        keys: input.nodeKeys,
        nodeId: toHex(input.nodeKeys.signing.publicKey),
        log: this.log.child({ mod: 'records' }),
        clock: this.clock,
        metrics: this.metrics,
        catchingUp: () => this.blocksBehind() > 2,
        blobs: this.blobs,
        // the custodian releases emergency keys as the organisation whose key file this node holds
        custodian: custodianKeyFile ? { keys: readKeyFile(custodianKeyFile), keyWrap: createNativeKeyWrap() } : null,
      });
      this.moduleServices = new ModuleServices(this.modules, {
        chainId: input.genesis.chainId,
        nodeId: toHex(input.nodeKeys.signing.publicKey),
        dataDir: input.dataDir,
        clock: this.clock,
        log: this.log.child({ mod: 'services' }),
        ed: this.ed,
        keyWrap: createNativeKeyWrap(),
        orgKeys: custodianKeyFile ? readKeyFile(custodianKeyFile) : null,
        ledger: this.chain,
        blocks: this.blocks,
        committed: () => app.committedView(),
        blobs: this.blobs,
        fetchBlobs: (hashes) => this.replicator?.fetch(hashes) ?? Promise.resolve(),
        waitForHeight: (height, ms) => this.chain.waitForHeight(height, ms),
      });
    } catch (e) {
      this.db.close();
      if (e instanceof SalusError) throw e;
      throw new SalusError('CORRUPT_DATA', `cannot open the data in ${input.dbFile}: ${(e as Error).message}`);
    }
  }

  private readonly apiApp;

  get modules(): readonly AppModule[] {
    return this.input.modules ?? MODULES;
  }

  get nodeId(): string {
    return toHex(this.input.nodeKeys.signing.publicKey);
  }

  /** Keys allowed to connect: the genesis validators, the current and next validator sets (and configured peers, added by P2P). */
  private allowedPeerKeys(): string[] {
    const next = this.chain.lastHeight() + 1;
    const keys = new Set(this.input.genesis.validators.map((x) => x.pubKey));
    for (const x of this.chain.validatorsFor(next)) keys.add(toHex(x.pubKey));
    return [...keys];
  }

  /**
   * The single-validator producer runs where this node's key is the whole validator set and no
   * peers are configured; everything else is a Tendermint network (validators and followers alike).
   */
  get engineKind(): 'solo' | 'bft' {
    const vals = this.chain.validatorsFor(this.chain.lastHeight() + 1);
    const alone = vals.length === 1 && bytesEqual(vals[0]!.pubKey, this.input.nodeKeys.signing.publicKey);
    return alone && this.opts.p2p.peers.length === 0 ? 'solo' : 'bft';
  }

  /** Starts the peer links, consensus and the HTTP API; resolves with the API's and the p2p addresses. */
  async start(): Promise<{ url: string; p2p?: string }> {
    const keys = this.input.nodeKeys;
    const chainId = this.input.genesis.chainId;
    const clock = this.clock;
    const onFatal = (e: unknown) => this.fail(e);
    let p2pAddress: string | undefined;
    if (this.engineKind === 'solo') {
      this.engine = new SoloEngine(this.opts.solo, {
        host: this.chain,
        clock,
        signer: {
          publicKey: keys.signing.publicKey,
          signPrecommit: (h, r, hash) => this.ed.sign(keys.signing.secretKey, precommitSignBytes(chainId, h, r, hash)),
        },
        metrics: { onCommit: (_h, _r, _n, ms) => this.metrics.blockCommitSeconds.observe(ms / 1000) },
        onError: onFatal,
      });
    } else {
      const bft = this.opts.bft;
      const p2p = new P2P({ ...this.opts.p2p, networkId: chainId }, { keys, logger: this.log, channels: nodeChannels(bft.tendermint.blockBytesMax, bft.tendermint.blockPartBytes), allowedKeys: this.allowedPeerKeys() });
      this.p2p = p2p;
      const bound = await p2p.start();
      p2pAddress = `${bound.host}:${bound.port}`;
      const driver = new BftDriver(bft, {
        chain: this.chain,
        p2p,
        keys,
        ed: this.ed,
        clock,
        log: this.log.child({ mod: 'consensus' }),
        walPath: join(this.input.dataDir, 'consensus.wal'),
        signerPath: join(this.input.dataDir, 'signer-state.cbor'),
        metrics: {
          onRejected: (reason) => this.metrics.consensusRejected.inc({ reason }),
          onEvidence: () => this.metrics.evidence.inc(),
          onVote: () => this.metrics.votesReceived.inc(),
        },
        onEvidence: (ev) => submitEvidence({ chainId, nodeKeys: this.input.nodeKeys, ed: this.ed, log: this.log, pendingNonce: (k) => this.apiApp.pendingNonce(k), submit: (b) => this.chain.submit(b) }, ev),
        onFatal,
      });
      this.driver = driver;
      this.engine = driver;
      this.sync = new BlockSync(bft, { chain: this.chain, blocks: this.blocks, p2p, clock, log: this.log.child({ mod: 'sync' }), onAdvanced: () => driver.chainAdvanced(), bytesMax: bft.tendermint.blockBytesMax, onFatal });
      const sync = this.sync;
      checkSnapshotOptions(this.opts.snapshots, this.opts.state.keepVersions, SNAPSHOT_MESSAGE_BYTES_MAX);
      this.snapshots = new SnapshotServer(
        { ...this.opts.snapshots, keepVersions: this.opts.state.keepVersions, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX },
        { chain: this.chain, blocks: this.blocks, state: this.state, p2p, log: this.log.child({ mod: 'snapshots' }) },
      );
      this.txGossip = new TxGossip(bft, { chain: this.chain, p2p, clock, log: this.log, catchingUp: () => sync.catchingUp });
    }
    this.api = await createApi(this.opts.api, {
      chain: this.chain,
      blocks: this.blocks,
      state: this.state,
      app: this.apiApp,
      modules: this.modules,
      clock,
      metrics: this.metrics,
      nodeId: this.nodeId,
      consensus: () => this.consensusStatus(),
      observe: () => this.records.observe(),
      verify: () => verifyStorage(this.opts.storage, this.input.dbFile, { genesis: this.input.genesis, ed: this.ed, chain: this.opts.chain, state: this.opts.state, modules: this.modules }),
      log: (msg, ctx) => this.log.error(ctx, msg),
      beforeSubmit: (bytes) => this.records.beforeSubmit(bytes),
      extraRoutes: (api, services) => {
        this.records.routes(api);
        this.moduleServices.routes(api, services);
        // the FHIR facade answers as the node's organisation, so it needs that organisation's key (ADR 0006)
        if (this.opts.records.custodianKeyFile) this.mountFhir(api, this.opts.records.custodianKeyFile);
      },
    });
    const address = await this.api.listen({ host: this.opts.api.host, port: this.opts.api.port });
    this.apiUrl = address;
    this.metrics.height.set(this.chain.lastHeight());
    this.replicator = this.blobReplication();
    this.records.start(this.replicator);
    this.moduleServices.start();
    this.sync?.start();
    this.snapshots?.start();
    this.txGossip?.start();
    this.engine!.start();
    this.log.info({ chainId, height: this.chain.lastHeight(), api: address, p2p: p2pAddress, engine: this.engineKind }, 'node started');
    return p2pAddress ? { url: address, p2p: p2pAddress } : { url: address };
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.sync?.stop();
      this.snapshots?.stop();
      this.txGossip?.stop();
      await this.engine?.stop();
      await this.p2p?.close();
      await this.api?.close();
      await this.moduleServices.stop();
      await this.records.stop();
      await this.blobs.close();
      this.db.close();
      this.log.info({ height: this.chain.lastHeight() }, 'node stopped');
    })();
    return this.stopped;
  }

  /**
   * Resolves with the failure that stopped this node on its own (a block it could not write, a
   * consensus WAL it could not append): the CLI exits with `exitCodeOf` it.
   */
  // (declared before `failed`, whose executor replaces it: fields initialise in order)
  private resolveFailed: (e: unknown) => void = () => undefined;
  readonly failed: Promise<unknown> = new Promise((resolve) => (this.resolveFailed = resolve));

  /** Stops the node after a failure it cannot go on from, saying why in one line. */
  private fail(raw: unknown): void {
    this.resolveFailed(logFatal(this.log, raw, this.opts.storage === 'embedded' ? this.input.dbFile : 'the PostgreSQL storage', this.chain.lastHeight()));
    void this.stop();
  }

  /** Blob replication over the peer links (none without peers): the records services drive it with what this node keeps. */
  private blobReplication(): BlobReplicator | undefined {
    if (!this.p2p) return undefined;
    return new BlobReplicator(
      { requestTimeoutMs: this.opts.records.blobFetchTimeoutMs, retryMs: 2_000 },
      { p2p: this.p2p, store: this.blobs, log: this.log.child({ mod: 'records' }), patientOf: (h) => this.records.index.patientOfBlob(h), isErased: (p) => this.records.isErased(p) },
    );
  }

  /** The FHIR facade, answering as the organisation whose key this node holds (ADR 0006). */
  private mountFhir(api: FastifyInstance, orgKeyFile: string): void {
    mountFhirFacade(api, orgKeyFile, {
      chainId: this.input.genesis.chainId,
      nodeKeys: this.input.nodeKeys,
      ed: this.ed,
      clock: this.clock,
      log: this.log,
      records: this.records,
      chain: this.chain,
      blocks: this.blocks,
      dataDir: this.input.dataDir,
      apiUrl: () => this.apiUrl,
      requestsPerSecond: this.opts.fhir.requestsPerSecond,
    });
  }

  /** How many blocks the furthest peer is ahead of this node (0 without peers). */
  private blocksBehind(): number {
    let max = 0;
    for (const h of this.sync?.peerHeights().values() ?? []) max = Math.max(max, h);
    return Math.max(0, max - this.chain.lastHeight());
  }

  /** What /v1/status shows of consensus and peers. */
  consensusStatus(): Record<string, unknown> {
    const peers = this.p2p?.connectedPeers().length ?? 0;
    return consensusStatusView({ ...(this.driver ? { driver: this.driver } : {}), ...(this.sync ? { sync: this.sync } : {}), peers, lastHeight: this.chain.lastHeight(), metrics: this.metrics });
  }
}
