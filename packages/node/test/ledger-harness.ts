import Fastify, { type FastifyInstance } from 'fastify';
import { Wallet } from '@salus/client';
import {
  type BlockHeader,
  type Canonical,
  type Commit,
  type IdentityKeys,
  EMPTY_ROOT,
  ZERO32,
  generateIdentityKeys,
  headerHash,
  merkleRoot,
  precommitSignBytes,
  decode,
  toHex,
  txHash,
  utf8ToBytes,
  validatorsHash,
} from '@salus/core';
import { openDb } from '../src/storage/db.js';
import type { SqlDb } from '../src/storage/sql.js';
import { StateStore } from '../src/state/store.js';
import { BlockStore } from '../src/ledger/blockstore.js';
import { Chain } from '../src/ledger/chain.js';
import { createApplication, MODULES } from '../src/app/modules.js';
import { installErrorHandler } from '../src/api/errors.js';
import { mergeOptions } from '../src/config/options.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { type AppModule, type Application, type KV, type TxResult, parseGenesis, type Genesis } from '@salus/module';

/**
 * A ledger in memory, without consensus or sockets: the real Chain, Application, modules and
 * StateStore over an in-memory SQLite database, with a genesis of several organisations each
 * running a validator. Blocks are built by hand and committed with precommits of the validator
 * keys, so multi-validator governance runs where the single-validator producer cannot.
 */
export const ed = createNativeEd25519();
export const GENESIS_TIME = 1_700_000_000_000;

export interface OrgFixture {
  readonly id: string;
  readonly admin: Wallet;
  /** the organisation's validator key, when it runs one */
  readonly validator: IdentityKeys | undefined;
}

export interface TxSpec {
  readonly signer: Wallet;
  readonly module: string;
  readonly type: string;
  readonly payload: unknown;
  readonly nonce?: number;
}

export class Ledger {
  readonly db: SqlDb;
  readonly state: StateStore;
  readonly blocks: BlockStore;
  readonly app: Application;
  readonly chain: Chain;
  /** every validator key the tests know, by public key hex */
  readonly validatorKeys = new Map<string, IdentityKeys>();
  private lastResults: readonly TxResult[] = [];

  constructor(
    readonly genesis: Genesis,
    readonly orgs: readonly OrgFixture[],
    readonly modules: readonly AppModule[] = MODULES,
    /** the storage (default: an in-memory SQLite database); the ledger closes it */
    db?: SqlDb,
  ) {
    this.db = db ?? openDb(':memory:', { memory: true });
    const opts = mergeOptions();
    this.state = new StateStore(this.db, opts.state);
    this.blocks = new BlockStore(this.db);
    this.app = createApplication(genesis.chainId, ed, this.state, modules);
    this.chain = new Chain(opts.chain, {
      db: this.db,
      genesis,
      ed,
      app: this.app,
      state: this.state,
      blocks: this.blocks,
      events: { onBlock: (_h, results) => void (this.lastResults = results) },
    });
    this.chain.open();
    for (const o of orgs) if (o.validator) this.validatorKeys.set(toHex(o.validator.signing.publicKey), o.validator);
  }

  get height(): number {
    return this.chain.lastHeight();
  }

  org(id: string): OrgFixture {
    return this.orgs.find((o) => o.id === id)!;
  }

  view(): KV {
    return this.app.committedView();
  }

  /** A block of signed transactions; nonces follow the committed ones unless given. */
  buildTxs(specs: readonly TxSpec[]): Uint8Array[] {
    const next = new Map<string, number>();
    return specs.map((s) => {
      const hex = s.signer.publicKeyHex;
      const nonce = s.nonce ?? next.get(hex) ?? this.app.nextNonce(this.view(), hex);
      next.set(hex, nonce + 1);
      return s.signer.buildTx({ chainId: this.genesis.chainId, nonce, module: s.module, type: s.type, payload: s.payload as Canonical }).bytes;
    });
  }

  /** The header the next block would carry over these transactions. */
  nextHeader(txs: readonly Uint8Array[]): BlockHeader {
    const height = this.height + 1;
    const last = this.chain.lastHeader();
    const vals = this.chain.validatorsFor(height);
    return {
      chainId: this.genesis.chainId,
      height,
      time: GENESIS_TIME + height * 1000,
      prevHash: last ? headerHash(last) : ZERO32,
      txRoot: merkleRoot(txs),
      txCount: txs.length,
      appHash: this.state.root,
      lastResultsHash: last ? this.blocks.requireBlock(last.height).resultsRoot : EMPTY_ROOT,
      validatorsHash: validatorsHash(vals),
      proposer: vals[0]!.pubKey,
    };
  }

  /**
   * Commits a block of raw transactions with precommits of `signers` (by default every validator
   * of the height whose key is known); returns each transaction's result.
   */
  commitRaw(txs: readonly Uint8Array[], signers?: readonly IdentityKeys[]): TxResult[] {
    const header = this.nextHeader(txs);
    const blockHash = headerHash(header);
    const keys = signers ?? this.chain.validatorsFor(header.height).map((v) => this.validatorKeys.get(toHex(v.pubKey))!);
    const commit: Commit = {
      height: header.height,
      round: 0,
      blockHash,
      signatures: keys.map((k) => ({ validator: k.signing.publicKey, signature: ed.sign(k.signing.secretKey, precommitSignBytes(header.chainId, header.height, 0, blockHash)) })),
    };
    this.chain.commitBlock({ header, txs }, commit);
    return [...this.lastResults];
  }

  /** Commits one block of transactions; returns their results. */
  block(...specs: TxSpec[]): TxResult[] {
    return this.commitRaw(this.buildTxs(specs));
  }

  /** Commits a block of one transaction; returns its result. */
  exec(signer: Wallet, module: string, type: string, payload: unknown): TxResult {
    return this.block({ signer, module, type, payload })[0]!;
  }

  /** An empty block. */
  tick(): void {
    this.commitRaw([]);
  }

  /** The modules' query routes over the committed state, for inject() without sockets. */
  async routes(): Promise<FastifyInstance> {
    const api = Fastify({ logger: false });
    installErrorHandler(api, () => undefined);
    const services = { chainId: this.genesis.chainId, nodeId: '00'.repeat(32), clock: { now: () => GENESIS_TIME + this.height * 1000 }, committed: () => this.view(), lastHeight: () => this.height, prove: (key: string, at?: number) => this.proveValue(key, at), blockResults: (h: number) => this.blocks.getTxs(h).map((r) => ({ hash: toHex(txHash(r.tx)), result: decode(r.result) as TxResult })), waitForHeight: (h: number, ms: number) => this.chain.waitForHeight(h, ms) };
    for (const m of this.modules) m.routes?.(api, services);
    await api.ready();
    return api;
  }

  /** A committed value and its proof at the version the latest header commits to (as the API's /v1/state). */
  proveValue(key: string, at?: number): { key: string; version: number; root: string; value: string | null } {
    const version = at ?? this.height - 1;
    const { value, root } = this.state.prove(utf8ToBytes(key), version);
    return { key, version, root: toHex(root), value: value ? toHex(value) : null };
  }

  close(): void {
    this.db.close();
  }
}

/**
 * A ledger whose genesis has `orgs` organisations, each running one validator of power 10, and
 * `observers` more organisations without a validator.
 */
export function createLedger(o: { orgs: number; observers?: number; chainId?: string; modules?: readonly AppModule[]; genesisModules?: Record<string, unknown>; db?: SqlDb }): Ledger {
  const orgs: OrgFixture[] = [];
  const total = o.orgs + (o.observers ?? 0);
  for (let i = 0; i < total; i++) {
    orgs.push({ id: `org-${String.fromCharCode(97 + i)}`, admin: Wallet.create(ed), validator: i < o.orgs ? generateIdentityKeys() : undefined });
  }
  const genesis = parseGenesis({
    chainId: o.chainId ?? 'salus-ledger-test',
    genesisTime: GENESIS_TIME,
    organisations: orgs.map((x) => ({ id: x.id, name: `Organisation ${x.id}`, kind: 'hospital', adminKey: x.admin.publicKeyHex, encryptionKey: toHex(x.admin.encryptionPublicKey) })),
    validators: orgs.filter((x) => x.validator).map((x) => ({ pubKey: toHex(x.validator!.signing.publicKey), power: 10, org: x.id })),
    ...(o.genesisModules ? { modules: o.genesisModules } : {}),
  });
  return new Ledger(genesis, orgs, o.modules, o.db);
}

export function memberOf(org: string, w: Wallet, role = 'practitioner', name = 'Dr Test') {
  return { org, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role, name };
}
