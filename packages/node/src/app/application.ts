import {
  type Canonical,
  type Ed25519,
  type SignedTx,
  type SmtUpdate,
  SalusError,
  toHex,
  utf8ToBytes,
  verifyTxSignature,
} from '@salus/core';
import { Overlay, ReadCache, type KV, type RawReader } from './kv.js';
import type { Module, TxContext } from './module.js';
import type { TxEvent, TxResult } from './result.js';
import type { Genesis } from '../config/genesis.js';

export const nonceKey = (signerHex: string) => `auth/nonce/${signerHex}`;

export interface ApplicationOptions {
  readonly chainId: string;
  readonly modules: readonly Module[];
  readonly ed: Ed25519;
  /** reads the committed state */
  readonly committed: RawReader;
  /** the authentication hook: is this key an active registered identity? */
  readonly isActiveSigner: (kv: KV, signerHex: string) => boolean;
}

export interface BlockInput {
  readonly height: number;
  readonly time: number;
  readonly txs: readonly { readonly tx: SignedTx; readonly hash: Uint8Array; readonly verified: boolean }[];
}

export interface BlockOutput {
  readonly results: TxResult[];
  readonly updates: SmtUpdate[];
}

/**
 * The application: the module router behind the boundary with consensus (CometBFT's ABCI is the
 * model). Consensus hands it ordered transactions; it returns results and state writes. It never
 * reads a clock or touches the network: block height and time come in with the block.
 */
export class Application {
  private readonly modules: Map<string, Module>;
  private checkState: Overlay;

  constructor(private readonly opts: ApplicationOptions) {
    this.modules = new Map(opts.modules.map((m) => [m.name, m]));
    this.checkState = new Overlay(opts.committed);
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

  genesisUpdates(genesis: Genesis): SmtUpdate[] {
    const kv = new Overlay(this.opts.committed);
    for (const m of this.opts.modules) m.initGenesis?.(kv, genesis);
    return toUpdates(kv);
  }

  nextNonce(kv: KV, signerHex: string): number {
    return (kv.get(nonceKey(signerHex)) as number | undefined) ?? 0;
  }

  /** The nonce the signer's next submission must carry: committed plus those waiting in the mempool. */
  pendingNonce(signerHex: string): number {
    return this.nextNonce(this.checkState, signerHex);
  }

  private route(tx: SignedTx): Module {
    const m = this.modules.get(tx.module);
    if (!m) throw new SalusError('UNKNOWN_MODULE', `no module "${tx.module}"`, { module: tx.module });
    if (!m.txTypes.includes(tx.type)) throw new SalusError('UNKNOWN_TYPE', `module ${tx.module} has no type "${tx.type}"`, { type: tx.type });
    return m;
  }

  /** Stateless checks beyond the envelope: the module exists and the payload has the right shape. */
  checkStateless(tx: SignedTx): void {
    this.route(tx).checkPayload(tx.type, tx.payload);
  }

  /**
   * Admission to the mempool: runs the transaction against the committed state plus every
   * transaction already admitted (as Cosmos' checkState does), so stateful errors are reported at
   * submission and nothing invalid is gossiped. Throws the typed error.
   */
  checkTx(tx: SignedTx, hash: Uint8Array, next: { readonly height: number; readonly time: number }): void {
    const m = this.route(tx);
    m.checkPayload(tx.type, tx.payload);
    const child = new Overlay(this.checkState);
    this.authorise(child, m, tx);
    this.run(child, m, tx, hash, next.height, next.time, []);
    child.mergeInto(this.checkState);
  }

  /** After a commit, admission restarts from the new committed state; the mempool re-checks what it holds. */
  resetCheckState(): void {
    this.checkState = new Overlay(this.opts.committed);
  }

  private authorise(kv: Overlay, m: Module, tx: SignedTx): void {
    const signerHex = toHex(tx.signer);
    const expected = this.nextNonce(kv, signerHex);
    if (tx.nonce < expected) throw new SalusError('NONCE_REPLAYED', `nonce ${tx.nonce} was already used; next is ${expected}`, { expected });
    if (tx.nonce > expected) throw new SalusError('NONCE_GAP', `nonce ${tx.nonce} skips ahead; next is ${expected}`, { expected });
    if (!m.openTypes?.includes(tx.type) && !this.opts.isActiveSigner(kv, signerHex)) {
      throw new SalusError('UNREGISTERED_SIGNER', 'the signer is not an active registered identity');
    }
    kv.set(nonceKey(signerHex), tx.nonce + 1);
  }

  private run(kv: Overlay, m: Module, tx: SignedTx, hash: Uint8Array, height: number, time: number, events: TxEvent[]): void {
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
    };
    m.execute(ctx, tx.type, tx.payload);
  }

  /** Executes a block deterministically. Writes of failed transactions are discarded (their nonce is still spent). */
  executeBlock(input: BlockInput): BlockOutput {
    const block = new Overlay(this.opts.committed);
    for (const m of this.opts.modules) m.beginBlock?.(block, input.height);
    const results: TxResult[] = [];
    for (const { tx, hash, verified } of input.txs) {
      results.push(this.deliver(block, tx, hash, verified, input.height, input.time));
    }
    return { results, updates: toUpdates(block) };
  }

  private deliver(block: Overlay, tx: SignedTx, hash: Uint8Array, verified: boolean, height: number, time: number): TxResult {
    let m: Module;
    const auth = new Overlay(block);
    try {
      if (tx.chainId !== this.opts.chainId) throw new SalusError('WRONG_CHAIN', 'transaction is for another chain');
      if (!verified && !verifyTxSignature(this.opts.ed, tx)) throw new SalusError('BAD_SIGNATURE', 'transaction signature does not verify');
      m = this.route(tx);
      m.checkPayload(tx.type, tx.payload);
      this.authorise(auth, m, tx);
    } catch (e) {
      return failure(e);
    }
    auth.mergeInto(block);
    const events: TxEvent[] = [];
    const work = new Overlay(block);
    try {
      this.run(work, m, tx, hash, height, time, events);
    } catch (e) {
      return failure(e);
    }
    work.mergeInto(block);
    return { code: 'OK', log: '', events };
  }
}

function failure(e: unknown): TxResult {
  if (e instanceof SalusError) return { code: e.code, log: e.message, events: [] };
  throw e;
}

function toUpdates(kv: Overlay): SmtUpdate[] {
  return [...kv.writes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => ({ key: utf8ToBytes(k), value: v ?? undefined }));
}
