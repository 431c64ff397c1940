import {
  type Canonical,
  type Ed25519,
  type SignedTx,
  type Validator,
  fromHex,
  utf8Decode,
  encodeTx,
  generateIdentityKeys,
  pureEd25519,
  signTx,
  toHex,
  txHash,
  type IdentityKeys,
} from '@salus/core';
import { Application } from './application.js';
import { Overlay, compareKeys, type KV, type ListOptions, type RawReader } from './kv.js';
import type { AppModule } from './module.js';
import type { TxResult } from './result.js';
import { parseGenesis, type Genesis } from './genesis.js';

/**
 * An in-process harness to test modules without a network, a disk or consensus: the real module
 * manager over an in-memory committed state, blocks of real signed transactions executed one after
 * another at a fake block time. What it leaves out is only what modules never see (Merkle proofs,
 * votes, sockets), so a module that passes here behaves the same in a node.
 */
export interface HarnessOptions {
  readonly modules: readonly AppModule[];
  /** the genesis file's content (parsed and checked here); default: one organisation and validator */
  readonly genesis?: unknown;
  readonly ed?: Ed25519;
  /** ms between blocks (default 1000) */
  readonly blockMs?: number;
}

export interface HarnessTx {
  readonly signer: IdentityKeys;
  readonly module: string;
  readonly type: string;
  readonly payload: Canonical;
  /** default: the signer's next nonce */
  readonly nonce?: number;
}

class MemoryState implements RawReader {
  readonly values = new Map<string, Uint8Array>();
  getRaw(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }
  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][] {
    return [...this.values.entries()]
      .filter(([k]) => k.startsWith(prefix) && (o.after === undefined || compareKeys(k, o.after) > 0))
      .sort(([a], [b]) => compareKeys(a, b))
      .slice(0, o.limit);
  }
}

export class ModuleHarness {
  readonly genesis: Genesis;
  readonly app: Application;
  readonly ed: Ed25519;
  private readonly committed = new MemoryState();
  private heightNow = 0;
  private timeNow: number;
  private validators: readonly Validator[];

  constructor(private readonly opts: HarnessOptions) {
    this.ed = opts.ed ?? pureEd25519;
    this.genesis = parseGenesis(opts.genesis ?? defaultGenesis());
    this.app = new Application({ chainId: this.genesis.chainId, modules: opts.modules, ed: this.ed, committed: this.committed });
    this.apply(this.app.genesisUpdates(this.genesis));
    this.timeNow = this.genesis.genesisTime;
    this.validators = this.genesis.validators.map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
  }

  get height(): number {
    return this.heightNow;
  }

  get time(): number {
    return this.timeNow;
  }

  /** The set that signs the next block, as the modules' end-of-block hooks last decided it. */
  get nextValidators(): readonly Validator[] {
    return this.validators;
  }

  /** A read-only view of the committed state. */
  view(): KV {
    return this.app.committedView();
  }

  /** Builds and signs a transaction as a client would. */
  sign(t: HarnessTx): { tx: SignedTx; hash: Uint8Array } {
    const nonce = t.nonce ?? this.app.pendingNonce(toHex(t.signer.signing.publicKey));
    const tx = signTx(this.ed, t.signer.signing.secretKey, { chainId: this.genesis.chainId, signer: t.signer.signing.publicKey, nonce, module: t.module, type: t.type, payload: t.payload });
    return { tx, hash: txHash(encodeTx(tx)) };
  }

  /** Admission as a node's mempool runs it: throws the typed error a client would get at submission. */
  check(t: HarnessTx): SignedTx {
    const { tx, hash } = this.sign(t);
    this.app.checkTx(tx, hash, { height: this.heightNow + 1, time: this.timeNow + (this.opts.blockMs ?? 1000) });
    return tx;
  }

  /** Executes one block of transactions (in order, each on its own overlay) and commits its writes; returns their results. */
  block(...txs: (HarnessTx | SignedTx)[]): TxResult[] {
    // nonces follow each other within the block, as a client's consecutive submissions would
    const next = new Map<string, number>();
    const signed = txs.map((t) => {
      if ('signature' in t) return { tx: t, hash: txHash(encodeTx(t)) };
      const hex = toHex(t.signer.signing.publicKey);
      const nonce = t.nonce ?? next.get(hex) ?? this.app.pendingNonce(hex);
      next.set(hex, nonce + 1);
      return this.sign({ ...t, nonce });
    });
    this.heightNow += 1;
    this.timeNow += this.opts.blockMs ?? 1000;
    const out = this.app.executeBlock({ height: this.heightNow, time: this.timeNow, txs: signed.map((s) => ({ ...s, verified: false })) });
    this.apply(out.updates);
    if (out.nextValidators) this.validators = out.nextValidators;
    return out.results;
  }

  /** One transaction in a block of its own. */
  exec(t: HarnessTx): TxResult {
    return this.block(t)[0]!;
  }

  private apply(updates: readonly { key: Uint8Array; value?: Uint8Array }[]): void {
    for (const u of updates) {
      const key = utf8Decode(u.key);
      if (u.value === undefined) this.committed.values.delete(key);
      else this.committed.values.set(key, u.value);
    }
    this.app.resetCheckState();
  }

  /** Every committed key under a prefix, sorted (for assertions). */
  keys(prefix: string): string[] {
    return [...this.committed.values.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** A scratch overlay over committed state (writes are thrown away). */
  scratch(): KV {
    return new Overlay(this.committed);
  }
}

export function createModuleHarness(opts: HarnessOptions): ModuleHarness {
  return new ModuleHarness(opts);
}

/** A genesis of one organisation running one validator, for harnesses that need no more. */
export function defaultGenesis(admin: IdentityKeys = generateIdentityKeys()): Record<string, unknown> {
  const validator = generateIdentityKeys();
  return {
    chainId: 'salus-harness',
    genesisTime: 1_700_000_000_000,
    organisations: [{ id: 'org-a', name: 'Organisation A', kind: 'other', adminKey: toHex(admin.signing.publicKey), encryptionKey: toHex(admin.encryption.publicKey) }],
    validators: [{ pubKey: toHex(validator.signing.publicKey), power: 10, org: 'org-a' }],
  };
}
