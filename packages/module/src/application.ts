import {
  type Canonical,
  type Ed25519,
  type SignedTx,
  type SmtUpdate,
  type Validator,
  SalusError,
  invariant,
  toHex,
  utf8ToBytes,
  verifyTxSignature,
} from '@salus/core';
import { Overlay, ReadCache, type KV, type RawReader } from './kv.js';
import { statePrefixOf, type AppModule, type Authenticator, type BlockContext, type TxContext, type TxHandler } from './module.js';
import type { TxEvent, TxResult } from './result.js';
import type { Genesis } from './genesis.js';

export const nonceKey = (signerHex: string) => `auth/nonce/${signerHex}`;

export interface ApplicationOptions {
  readonly chainId: string;
  readonly modules: readonly AppModule[];
  readonly ed: Ed25519;
  /** reads the committed state */
  readonly committed: RawReader;
}

export interface BlockInput {
  readonly height: number;
  readonly time: number;
  readonly txs: readonly { readonly tx: SignedTx; readonly hash: Uint8Array; readonly verified: boolean }[];
}

export interface BlockOutput {
  readonly results: TxResult[];
  readonly updates: SmtUpdate[];
  /** the set that signs the next block, when a module's end-of-block hook decided it */
  readonly nextValidators?: readonly Validator[];
}

interface Routed {
  readonly module: AppModule;
  readonly txs: TxHandler;
}

/**
 * The application: the module manager behind the boundary with consensus (CometBFT's ABCI and the
 * Cosmos SDK's module manager are the models). Consensus hands it ordered transactions; it routes
 * each to its module, and returns results, state writes and the next validator set. It never reads
 * a clock or touches the network: block height and time come in with the block.
 */
export class Application {
  private readonly modules: Map<string, AppModule>;
  private readonly authenticators: readonly Authenticator[];
  private checkState: Overlay;

  constructor(private readonly opts: ApplicationOptions) {
    this.modules = new Map();
    const prefixes: string[] = [];
    for (const m of opts.modules) {
      if (!/^[a-z][a-z0-9-]{1,31}$/.test(m.name)) throw new SalusError('CONFIG', `module name "${m.name}" is not a lower-case word`);
      if (this.modules.has(m.name)) throw new SalusError('CONFIG', `two modules are named ${m.name}`);
      const prefix = statePrefixOf(m);
      const clash = prefixes.find((p) => p.startsWith(prefix) || prefix.startsWith(p));
      if (clash !== undefined || prefix.startsWith('auth/')) throw new SalusError('CONFIG', `module ${m.name}'s state prefix ${prefix} overlaps another's`);
      prefixes.push(prefix);
      this.modules.set(m.name, m);
    }
    this.authenticators = opts.modules.flatMap((m) => (m.authenticate ? [m.authenticate] : []));
    this.checkState = new Overlay(opts.committed);
  }

  /** The installed modules, in registration order (hooks run in this order). */
  get installed(): readonly AppModule[] {
    return this.opts.modules;
  }

  get chainId(): string {
    return this.opts.chainId;
  }

  /** A read-only view of committed state, for queries. */
  committedView(): KV {
    return new Overlay(this.opts.committed);
  }

  /** A read-only view of committed state that caches decoded values; replace it after each commit. */
  readCache(): KV {
    return new ReadCache(this.opts.committed);
  }

  /** Checks every module's genesis section (and that each section names an installed module). */
  validateGenesis(genesis: Genesis): void {
    for (const name of Object.keys(genesis.modules ?? {})) {
      if (!this.modules.get(name)?.genesis) throw new SalusError('CONFIG', `genesis has a section for ${name}, which is not an installed module with a genesis`);
    }
    for (const m of this.opts.modules) m.genesis?.validate(genesis.modules?.[m.name], genesis);
  }

  genesisUpdates(genesis: Genesis): SmtUpdate[] {
    this.validateGenesis(genesis);
    const kv = new Overlay(this.opts.committed);
    for (const m of this.opts.modules) m.genesis?.init(kv, genesis.modules?.[m.name], genesis);
    return toUpdates(kv);
  }

  /** Is the key an active registered identity? Without an authenticating module, a valid signature is enough. */
  private isActiveSigner(kv: KV, signerHex: string): boolean {
    return this.authenticators.length === 0 || this.authenticators.some((a) => a(kv, signerHex));
  }

  nextNonce(kv: KV, signerHex: string): number {
    return (kv.get(nonceKey(signerHex)) as number | undefined) ?? 0;
  }

  /** The nonce the signer's next submission must carry: committed plus those waiting in the mempool. */
  pendingNonce(signerHex: string): number {
    return this.nextNonce(this.checkState, signerHex);
  }

  private route(tx: SignedTx): Routed {
    const m = this.modules.get(tx.module);
    if (!m?.txs) throw new SalusError('UNKNOWN_MODULE', `no module "${tx.module}" takes transactions`, { module: tx.module });
    if (!Object.hasOwn(m.txs.types, tx.type)) throw new SalusError('UNKNOWN_TYPE', `module ${tx.module} has no type "${tx.type}"`, { type: tx.type });
    return { module: m, txs: m.txs };
  }

  /** Stateless checks beyond the envelope: the module exists and the payload has the right shape. */
  checkStateless(tx: SignedTx): void {
    this.route(tx).txs.check(tx.type, tx.payload);
  }

  /**
   * Admission to the mempool: runs the transaction against the committed state plus every
   * transaction already admitted (as Cosmos' checkState does), so stateful errors are reported at
   * submission and nothing invalid is gossiped. Throws the typed error.
   */
  checkTx(tx: SignedTx, hash: Uint8Array, next: { readonly height: number; readonly time: number }): void {
    const m = this.route(tx);
    m.txs.check(tx.type, tx.payload);
    const child = new Overlay(this.checkState);
    this.authorise(child, m, tx);
    this.run(child, m, tx, hash, next.height, next.time, [], 'admit');
    child.mergeInto(this.checkState);
  }

  /** After a commit, admission restarts from the new committed state; the mempool re-checks what it holds. */
  resetCheckState(): void {
    this.checkState = new Overlay(this.opts.committed);
  }

  private authorise(kv: Overlay, m: Routed, tx: SignedTx): void {
    const signerHex = toHex(tx.signer);
    const expected = this.nextNonce(kv, signerHex);
    if (tx.nonce < expected) throw new SalusError('NONCE_REPLAYED', `nonce ${tx.nonce} was already used; next is ${expected}`, { expected });
    if (tx.nonce > expected) throw new SalusError('NONCE_GAP', `nonce ${tx.nonce} skips ahead; next is ${expected}`, { expected });
    if (m.txs.types[tx.type]!.open !== true && !this.isActiveSigner(kv, signerHex)) {
      throw new SalusError('UNREGISTERED_SIGNER', 'the signer is not an active registered identity');
    }
    kv.set(nonceKey(signerHex), tx.nonce + 1);
  }

  /** Runs the handler; returns the gas it reported, if it meters. */
  private run(kv: Overlay, m: Routed, tx: SignedTx, hash: Uint8Array, height: number, time: number, events: TxEvent[], phase: 'admit' | 'deliver' = 'deliver'): number | undefined {
    let gasUsed: number | undefined;
    const ctx: TxContext = {
      chainId: this.opts.chainId,
      height,
      time,
      signer: tx.signer,
      signerHex: toHex(tx.signer),
      txHash: hash,
      state: kv,
      ed: this.opts.ed,
      emit: (type: string, attributes: Record<string, Canonical>) => void events.push({ type, attributes }),
      reportGas: (used: number) => {
        invariant(Number.isSafeInteger(used) && used >= 0, 'gas used is a non-negative integer');
        gasUsed = used;
      },
    };
    if (phase === 'admit' && m.txs.admit) m.txs.admit(ctx, tx.type, tx.payload);
    else m.txs.deliver(ctx, tx.type, tx.payload);
    return gasUsed;
  }

  /** Executes a block deterministically. Writes of failed transactions are discarded (their nonce is still spent). */
  executeBlock(input: BlockInput): BlockOutput {
    const block = new Overlay(this.opts.committed);
    const ctx: BlockContext = { chainId: this.opts.chainId, height: input.height, time: input.time, state: block };
    for (const m of this.opts.modules) m.beginBlock?.(ctx);
    const results: TxResult[] = [];
    for (const { tx, hash, verified } of input.txs) {
      results.push(this.deliver(block, tx, hash, verified, input.height, input.time));
    }
    let nextValidators: readonly Validator[] | undefined;
    for (const m of this.opts.modules) {
      const end = m.endBlock?.(ctx);
      if (end?.nextValidators === undefined) continue;
      invariant(nextValidators === undefined, `a second module (${m.name}) decides the validator set`);
      invariant(end.nextValidators.length > 0, `module ${m.name} returned an empty validator set`);
      nextValidators = end.nextValidators;
    }
    return { results, updates: toUpdates(block), ...(nextValidators ? { nextValidators } : {}) };
  }

  private deliver(block: Overlay, tx: SignedTx, hash: Uint8Array, verified: boolean, height: number, time: number): TxResult {
    let m: Routed;
    const auth = new Overlay(block);
    try {
      if (tx.chainId !== this.opts.chainId) throw new SalusError('WRONG_CHAIN', 'transaction is for another chain');
      if (!verified && !verifyTxSignature(this.opts.ed, tx)) throw new SalusError('BAD_SIGNATURE', 'transaction signature does not verify');
      m = this.route(tx);
      m.txs.check(tx.type, tx.payload);
      this.authorise(auth, m, tx);
    } catch (e) {
      return failure(e);
    }
    auth.mergeInto(block);
    const events: TxEvent[] = [];
    const work = new Overlay(block);
    let gasUsed: number | undefined;
    try {
      gasUsed = this.run(work, m, tx, hash, height, time, events);
    } catch (e) {
      return failure(e);
    }
    work.mergeInto(block);
    return gasUsed === undefined ? { code: 'OK', log: '', events } : { code: 'OK', log: '', events, gasUsed };
  }
}

function failure(e: unknown): TxResult {
  if (!(e instanceof SalusError)) throw e;
  const gas = e.meta.gasUsed;
  const base = { code: e.code, log: e.message, events: [] };
  return typeof gas === 'number' && Number.isSafeInteger(gas) && gas >= 0 ? { ...base, gasUsed: gas } : base;
}

function toUpdates(kv: Overlay): SmtUpdate[] {
  return [...kv.writes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => ({ key: utf8ToBytes(k), value: v ?? undefined }));
}
