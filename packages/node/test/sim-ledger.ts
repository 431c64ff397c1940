import Fastify, { type FastifyInstance } from 'fastify';
import { type Block, type Commit, type Validator, SalusError, decode, decodeTx, isSalusError, toHex, txHash, utf8ToBytes } from '@salus/core';
import type { SimLedger } from '@salus/consensus';
import type { AppModule, Application, Genesis, RouteServices, TxResult } from '@salus/module';
import { openDb, type Db } from '../src/storage/db.js';
import { StateStore } from '../src/state/store.js';
import { BlockStore } from '../src/ledger/blockstore.js';
import { Chain } from '../src/ledger/chain.js';
import { createApplication } from '../src/app/modules.js';
import { installErrorHandler } from '../src/api/errors.js';
import { mergeOptions } from '../src/config/options.js';
import { ed } from './ledger-harness.js';

/**
 * One simulated validator's real ledger for the consensus simulator's host mode: the node's Chain,
 * Application, modules, StateStore and BlockStore over its own in-memory SQLite database. The
 * database is the validator's disk and outlives a simulated crash; `restart` reopens the Chain
 * over it as a restarted process would, with an empty mempool.
 */
export class SimNodeLedger implements SimLedger {
  readonly db: Db;
  private readonly opts = mergeOptions();
  chain!: Chain;
  app!: Application;
  private state!: StateStore;
  private blocks!: BlockStore;
  /** how many times the process was restarted */
  restarts = 0;

  constructor(
    readonly genesis: Genesis,
    private readonly modules: readonly AppModule[],
    private readonly hooks: {
      /** after a restart: what tx gossip would bring back (the transactions peers still hold) */
      readonly onRestart?: (l: SimNodeLedger) => void;
      /** before this node builds a proposal */
      readonly beforePropose?: (l: SimNodeLedger) => void;
    } = {},
  ) {
    this.db = openDb(':memory:', { memory: true });
    this.open();
  }

  private open(): void {
    this.state = new StateStore(this.db, this.opts.state);
    this.blocks = new BlockStore(this.db);
    this.app = createApplication(this.genesis.chainId, ed, this.state, this.modules);
    this.chain = new Chain(this.opts.chain, { db: this.db, genesis: this.genesis, ed, app: this.app, state: this.state, blocks: this.blocks });
    this.chain.open();
  }

  lastHeight(): number {
    return this.chain.lastHeight();
  }

  lastBlockTime(): number {
    return this.chain.lastBlockTime();
  }

  validatorsFor(height: number): readonly Validator[] {
    return this.chain.validatorsFor(height);
  }

  proposeBlock(height: number, time: number, proposer: Uint8Array): Block {
    this.hooks.beforePropose?.(this);
    return this.chain.proposeBlock(height, time, proposer);
  }

  validateProposal(block: Block, o?: { timeMax?: number }): void {
    this.chain.validateProposal(block, o);
  }

  commitBlock(block: Block, commit: Commit): void {
    this.chain.commitBlock(block, commit);
  }

  blockAt(height: number): { block: Block; commit: Commit } | undefined {
    const b = this.blocks.getBlock(height);
    return b && { block: { header: b.header, txs: this.blocks.getTxs(height).map((t) => t.tx) }, commit: b.commit };
  }

  appHash(): Uint8Array {
    return this.state.root;
  }

  resultsRoot(height: number): Uint8Array {
    return this.blocks.requireBlock(height).resultsRoot;
  }

  restart(): void {
    this.restarts++;
    this.open();
    this.hooks.onRestart?.(this);
  }

  /** Admission as `POST /v1/txs` does it; a refusal (a duplicate, a nonce already spent or ahead) comes back as its code. */
  submit(bytes: Uint8Array): string {
    try {
      this.chain.submit(bytes);
      return 'OK';
    } catch (e) {
      if (isSalusError(e)) return e.code;
      throw e;
    }
  }

  /**
   * Puts a transaction in the mempool past admission, as if it had been admitted against another
   * state: the next proposal carries it, and the block's execution must record its failure.
   */
  forceIntoMempool(tx: { bytes: Uint8Array; hash: string }): void {
    if (this.chain.mempool.has(tx.hash) || this.chain.receipt(tx.hash) !== undefined) return;
    const decoded = decodeTx(tx.bytes);
    this.chain.mempool.add({ hash: Uint8Array.from(Buffer.from(tx.hash, 'hex')), hashHex: tx.hash, bytes: tx.bytes, tx: decoded });
  }

  /** The modules' read-only routes over this node's committed state, for inject() without sockets (as ledger-harness does). */
  async routes(): Promise<FastifyInstance> {
    const api = Fastify({ logger: false });
    installErrorHandler(api, () => undefined);
    const services: RouteServices = {
      chainId: this.genesis.chainId,
      nodeId: '00'.repeat(32),
      clock: { now: () => this.chain.lastBlockTime() },
      committed: () => this.app.committedView(),
      lastHeight: () => this.chain.lastHeight(),
      prove: (key: string, at?: number) => {
        const version = at ?? this.chain.lastHeight() - 1;
        const { value, root } = this.state.prove(utf8ToBytes(key), version);
        return { key, version, root: toHex(root), value: value ? toHex(value) : null };
      },
      blockResults: (height: number) =>
        height < 1 || height > this.chain.lastHeight() ? undefined : this.blocks.getTxs(height).map((r) => ({ hash: toHex(txHash(r.tx)), result: decode(r.result) as TxResult })),
      waitForHeight: (height: number, timeoutMs: number) => this.chain.waitForHeight(height, timeoutMs),
    };
    for (const m of this.modules) m.routes?.(api, services);
    await api.ready();
    return api;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Transaction gossip at its best: a submitted transaction reaches every running node at once, and a
 * restarted node is handed again everything submitted so far (what its peers would re-gossip), in
 * submission order so each signer's nonces arrive in sequence. Refusals are expected (a node that
 * already committed a transaction says NONCE_REPLAYED) and counted by code.
 */
export class PerfectGossip {
  readonly submitted: { bytes: Uint8Array; hash: string }[] = [];
  readonly refusals = new Map<string, number>();
  /** transactions every node's admission refuses, with the codes it gave, in the order they came */
  readonly forced: { bytes: Uint8Array; hash: string; refused: string[] }[] = [];

  constructor(private readonly ledgers: () => readonly SimNodeLedger[]) {}

  submit(tx: { bytes: Uint8Array; hash: string }, isUp: (node: number) => boolean): void {
    this.submitted.push(tx);
    this.ledgers().forEach((l, i) => {
      if (isUp(i)) this.count(l.submit(tx.bytes));
    });
  }

  /**
   * A transaction admission refuses (its handler fails against the check state) that a proposer
   * includes anyway: a block is valid whatever its transactions do (CometBFT executes what a
   * decided block holds), so the ledgers must execute it and agree on its failure. Each proposer
   * carries the first forced transaction not yet committed on its ledger (one at a time, so their
   * signer's nonces stay in order).
   */
  force(tx: { bytes: Uint8Array; hash: string }, isUp: (node: number) => boolean): void {
    const refused = this.ledgers().flatMap((l, i) => (isUp(i) ? [l.submit(tx.bytes)] : []));
    this.forced.push({ ...tx, refused });
  }

  offerForced(l: SimNodeLedger): void {
    const next = this.forced.find((tx) => l.chain.receipt(tx.hash) === undefined);
    if (next) l.forceIntoMempool(next);
  }

  replayTo(l: SimNodeLedger): void {
    for (const tx of this.submitted) this.count(l.submit(tx.bytes));
  }

  /** Every submitted transaction has a receipt on every given ledger. */
  allCommitted(ledgers: readonly SimNodeLedger[]): boolean {
    return ledgers.every((l) => [...this.submitted, ...this.forced].every((tx) => l.chain.receipt(tx.hash) !== undefined));
  }

  private count(code: string): void {
    if (code === 'OK') return;
    if (code !== 'NONCE_REPLAYED' && code !== 'CONFLICT' && code !== 'NONCE_GAP') throw new SalusError('CORRUPT_DATA', `gossip: a node refused a transaction with ${code}`);
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }
}
