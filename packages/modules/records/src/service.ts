import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SalusError, decodeTx, type IdentityKeys, type KeyWrap } from '@salus/core';
import { blobHolders } from './placement.js';
import { validatorsForHeight } from '@salus/governance';
import { RecordsIndex } from './index-db.js';
import { DisclosureRecorder, type DisclosureOptions, type LedgerParts } from './disclosures.js';
import { Custodian } from './custodian.js';
import { recordsRoutes } from './http.js';
import { blobRefs } from './module.js';
import { patientRecords } from './state.js';
import { recordsReader, type RecordsReader } from './reader.js';
import { activeKey } from '@salus/identity';
import type { BlobReplication, BlobStore, KV } from '@salus/module';

export interface RecordsOptions extends DisclosureOptions {
  /** how many validators hold each blob (0: every node) */
  readonly replicas: number;
  /** the organisation key file this node's custodian uses for emergency release (null: none; the node reads it) */
  readonly custodianKeyFile: string | null;
  /** largest clock difference accepted on a signed request */
  readonly requestSkewMs: number;
  /** uploaded blobs no committed transaction referenced within this time are deleted */
  readonly uploadTtlMs: number;
  /** how long one peer has to answer a blob fetch (the node's replication reads it) */
  readonly blobFetchTimeoutMs: number;
  /** bytes one key may upload per hour */
  readonly uploadBytesPerHour: number;
}

export const defaultRecordsOptions: RecordsOptions = {
  flushMs: 100,
  ledgerStaleMs: 15_000,
  queueMax: 20_000,
  resubmitMs: 30_000,
  replicas: 0,
  custodianKeyFile: null,
  requestSkewMs: 5 * 60_000,
  uploadTtlMs: 3600_000,
  blobFetchTimeoutMs: 2_000,
  uploadBytesPerHour: 256 * 1024 * 1024,
};

/** A counter by one label, a gauge (prom-client's `Counter` and `Gauge` satisfy them). */
interface Counted<L extends string> {
  inc(labels: Record<L, string>): void;
}
interface Gauged {
  set(value: number): void;
}

/** The node's metrics the records services count and set (the node's Prometheus registry satisfies it). */
export interface RecordsMetrics {
  readonly recordReads: Counted<'basis'>;
  readonly recordRefusals: Counted<'code'>;
  readonly disclosuresPending: Gauged;
  readonly blobs: Gauged;
  readonly blobBytes: Gauged;
  readonly blobBacklog: Gauged;
}

/** What the composition root hands the records services, besides the ledger parts. */
export interface RecordsServiceDeps extends LedgerParts {
  /** where the records index (records.sqlite) lives */
  readonly dataDir: string;
  /** the node's blob store: the service pins, serves and shreds its blobs, the node opens and closes it */
  readonly blobs: BlobStore;
  /** the organisation's keys and the HPKE key wrap this node's custodian releases emergency keys with (null: no custodian) */
  readonly custodian: { readonly keys: IdentityKeys; readonly keyWrap: KeyWrap } | null;
  readonly metrics?: RecordsMetrics;
  /** whether block sync knows of peers ahead of this node */
  readonly catchingUp?: () => boolean;
}

/**
 * The node side of the records domain, wired by the composition root: the local index built from
 * committed blocks, the disclosure recorder, the custodian, the HTTP routes, and the decisions of
 * which blobs this node keeps (the node's blob store and replication carry them out). The ledger
 * rules themselves are the module (module.ts).
 */
export class RecordsService {
  readonly blobs: BlobStore;
  readonly index: RecordsIndex;
  readonly disclosures: DisclosureRecorder;
  /** what the FHIR facade (and any other consumer) reads of records: the narrow face, not this service */
  readonly reader: RecordsReader;
  private replicator: BlobReplication | undefined;
  private custodian: Custodian | undefined;
  private gcTimer: unknown;
  private readonly erasedCache = new Set<string>();
  /** committed state for the read path, decoded once per height */
  private cache: KV;
  private heightWaiters: { height: number; resolve: () => void }[] = [];

  /**
   * Read-your-writes across nodes: a request may carry the height of a commit its client saw
   * (header Salus-Min-Height); the node answers once it has indexed that height, or TIMEOUT.
   */
  waitForHeight(height: number, timeoutMs: number): Promise<void> {
    if (this.index.indexedHeight >= height) return Promise.resolve();
    if (height > this.deps.chain.lastHeight() + 1000) return Promise.reject(new SalusError('INVALID_FIELD', `height ${height} is far beyond this node's ${this.deps.chain.lastHeight()}`));
    if (this.heightWaiters.length >= 10_000) return Promise.reject(new SalusError('TOO_MANY_REQUESTS', 'too many requests wait for a height; retry shortly'));
    return new Promise((resolve, reject) => {
      const w = { height, resolve: () => (this.deps.clock.clearTimeout(timer), resolve()) };
      const timer = this.deps.clock.setTimeout(() => {
        this.heightWaiters = this.heightWaiters.filter((x) => x !== w);
        reject(new SalusError('TIMEOUT', `this node has not reached height ${height} within ${timeoutMs} ms`, { height }));
      }, timeoutMs);
      this.heightWaiters.push(w);
    });
  }

  constructor(
    private readonly opts: RecordsOptions,
    private readonly deps: RecordsServiceDeps,
  ) {
    this.cache = deps.app.readCache();
    this.blobs = deps.blobs;
    this.index = new RecordsIndex(join(deps.dataDir, 'records.sqlite'));
    this.disclosures = new DisclosureRecorder(opts, {
      ...deps,
      index: this.index,
      // how recent the ledger is, by the time in its latest header: a node that was down or is
      // catching up reads old consent, so it serves no read until it is current
      lastCommitAt: () => (deps.catchingUp?.() ? 0 : (deps.chain.lastHeader()?.time ?? 0)),
      mayDisclose: () => this.mayDisclose(),
    });
    this.reader = recordsReader({ index: this.index, blobs: this.blobs, disclosures: this.disclosures, fetch: (h) => this.fetch(h) });
    if (deps.custodian) {
      this.custodian = new Custodian({ keys: deps.custodian.keys, chain: deps.chain, app: deps.app, store: this.blobs, index: this.index, ed: deps.ed, keyWrap: deps.custodian.keyWrap, log: deps.log, clock: deps.clock, fetch: (h) => this.fetch(h), isErased: (p) => this.isErased(p) });
    }
  }

  /**
   * Catches the index up with the chain, then follows commits. `replication`: the node's blob
   * replication between peers (none on a node without peers); this service starts and stops it.
   */
  start(replication: BlobReplication | undefined): void {
    if (replication) {
      this.replicator = replication;
      this.replicator.start();
    }
    // a node started from a snapshot holds no block below its base: the index starts there
    for (let h = Math.max(this.index.indexedHeight + 1, this.deps.blocks.base ?? 0); h <= this.deps.chain.lastHeight(); h++) {
      try {
        this.onBlock(h, false);
      } catch (e) {
        // the stored block was read back wrong: that is corrupt data, as when the chain opens
        throw new SalusError('CORRUPT_DATA', `cannot index stored block ${h} for records: ${(e as Error).message}`, { height: h });
      }
    }
    this.disclosures.start();
    this.custodian?.start();
    this.collectUploads();
  }

  /** Every minute, uploads no committed transaction named within `uploadTtlMs` (by the node's clock) are deleted. */
  private collectUploads(): void {
    this.gcTimer = this.deps.clock.setTimeout(() => {
      void this.blobs.collect(this.opts.uploadTtlMs, this.deps.clock.now());
      this.collectUploads();
    }, 60_000);
  }

  async stop(): Promise<void> {
    if (this.gcTimer !== undefined) this.deps.clock.clearTimeout(this.gcTimer);
    this.gcTimer = undefined;
    this.disclosures.stop();
    this.replicator?.stop();
    await this.custodian?.idle();
    this.index.close();
  }

  /** Committed state with decoded values cached for the current height (read paths). */
  readView(): KV {
    return this.cache;
  }

  /** Whether this node's disclosure batches are accepted: it is a validator, or its key is an organisation's service key. */
  private mayDisclose(): boolean {
    const next = this.deps.chain.lastHeight() + 1;
    if (validatorsForHeight(this.cache, next).some((v) => v.pubKey === this.deps.nodeId)) return true;
    return activeKey(this.cache, this.deps.nodeId)?.role === 'service';
  }

  isErased(patient: string): boolean {
    if (this.erasedCache.has(patient)) return true;
    const erased = patientRecords(this.cache, patient).erased !== null;
    if (erased) this.erasedCache.add(patient);
    return erased;
  }

  fetch(hashes: string[]): Promise<void> {
    return this.replicator ? this.replicator.fetch(hashes) : Promise.resolve();
  }

  /** Whether this node holds a copy of blobs by policy: all nodes, or the `replicas` validators ranked first for the hash. */
  private holds(hash: string, height: number): boolean {
    if (this.opts.replicas <= 0) return true;
    const vals = validatorsForHeight(this.deps.app.committedView(), height).map((v) => v.pubKey);
    return blobHolders(hash, vals, this.opts.replicas).includes(this.deps.nodeId);
  }

  /** A block committed: index it, pin and replicate its blobs, shred erased patients, settle disclosures. */
  onBlock(height: number, live = true): void {
    this.cache = this.deps.app.readCache();
    if (height <= this.index.indexedHeight) return;
    const { pins, erased, txs } = this.index.indexBlock(height, this.deps.blocks);
    for (const p of erased) {
      this.erasedCache.add(p);
      void this.blobs.deletePatient(p).then((n) => this.deps.log.info({ patient: p, blobs: n }, 'records: patient erased, blobs deleted'));
    }
    for (const pin of pins) {
      if (this.erasedCache.has(pin.patient)) continue;
      void this.blobs.pin(pin.hashes, pin.patient);
      const mine = pin.hashes.filter((h) => this.holds(h, height));
      if (mine.length > 0) this.replicator?.replicate(mine, pin.patient);
    }
    this.disclosures.onBlock(txs);
    if (live) this.custodian?.onBlock(txs);
    if (this.heightWaiters.length > 0) {
      const due = this.heightWaiters.filter((w) => w.height <= height);
      this.heightWaiters = this.heightWaiters.filter((w) => w.height > height);
      for (const w of due) w.resolve();
    }
  }

  /** Before a records transaction is admitted here, the blobs it names must be stored (or fetched). */
  async beforeSubmit(bytes: Uint8Array): Promise<void> {
    let tx;
    try {
      tx = decodeTx(bytes);
    } catch {
      return; // the chain reports the malformed encoding
    }
    if (tx.module !== 'records') return;
    let refs;
    try {
      refs = blobRefs(tx.type, tx.payload);
    } catch {
      return; // the module reports the bad payload
    }
    const missing: string[] = [];
    for (const h of refs.hashes) if (!(await this.blobs.has(h))) missing.push(h);
    if (missing.length === 0) return;
    await this.fetch(missing);
    for (const h of missing) {
      if (!(await this.blobs.has(h))) throw new SalusError('BLOB_MISSING', `upload blob ${h.slice(0, 16)}… (PUT /v1/blobs/${h}) before the transaction that names it`, { hash: h });
    }
  }

  routes(app: FastifyInstance): void {
    recordsRoutes(app, {
      chainId: this.deps.chain.chainId,
      nodeId: this.deps.nodeId,
      uploadBytesPerHour: this.opts.uploadBytesPerHour,
      ed: this.deps.ed,
      view: () => this.cache,
      blobs: this.blobs,
      index: this.index,
      disclosures: this.disclosures,
      fetch: (h) => this.fetch(h),
      requestSkewMs: this.opts.requestSkewMs,
      clock: this.deps.clock,
      waitForHeight: (h) => this.waitForHeight(h, 10_000),
      onRead: (basis) => this.deps.metrics?.recordReads.inc({ basis }),
      onRefused: (code) => this.deps.metrics?.recordRefusals.inc({ code }),
    });
  }

  /** Sets the records gauges (called when /metrics is scraped). */
  async observe(): Promise<void> {
    const m = this.deps.metrics;
    if (!m) return;
    m.disclosuresPending.set(this.index.pendingCount);
    const s = await this.blobs.stats();
    m.blobs.set(s.blobs);
    m.blobBytes.set(s.bytes);
    m.blobBacklog.set(this.replicator?.backlogSize ?? 0);
  }

  /** Waits for in-flight work (tests and benchmarks). */
  async idle(): Promise<void> {
    await this.custodian?.idle();
  }
}
