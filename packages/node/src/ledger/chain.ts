import {
  type Block,
  type BlockHeader,
  type Commit,
  type Ed25519,
  type SignedTx,
  type Validator,
  EMPTY_ROOT,
  SalusError,
  ZERO32,
  bytesEqual,
  fromHex,
  checkTxStateless,
  decodeTx,
  encode,
  headerHash,
  merkleRoot,
  toHex,
  txHash,
  validatorsHash,
  verifyCommit,
} from '@salus/core';
import type { ConsensusHost } from '@salus/consensus';
import type { SqlDb } from '../storage/sql.js';
import { storageFailure } from '../storage/failure.js';
import { buf, u8 } from '../storage/db.js';
import type { StateStore } from '../state/store.js';
import { readStored, type BlockStore } from './blockstore.js';
import { Mempool, type PendingTx } from '../mempool/mempool.js';
import { CommitWaits, type Receipt } from './commit-waits.js';

export type { Receipt } from './commit-waits.js';
import { decode } from '@salus/core';
import { type Application, encodeResult, resultsRoot, type TxResult, type Genesis } from '@salus/module';

export interface ChainOptions {
  readonly blockTxsMax: number;
  readonly blockBytesMax: number;
  readonly mempoolTxsMax: number;
  readonly mempoolBytesMax: number;
}

interface ValidatedBlock {
  /** the header's hash */
  readonly id: Uint8Array;
  /** the transaction bytes it was checked with */
  readonly txsRef: readonly Uint8Array[];
  readonly txs: SignedTx[];
  readonly hashes: Uint8Array[];
  readonly hexes: string[];
}


export interface ChainEvents {
  onBlock?(header: BlockHeader, results: readonly TxResult[]): void;
  /** a transaction entered the mempool; `origin` is the peer it came from, if any (for gossip) */
  onTxAdmitted?(bytes: Uint8Array, hashHex: string, origin: string | undefined): void;
}

/**
 * The ledger as the node runs it: admits transactions (checkTx → mempool), builds proposals, and
 * commits blocks atomically (block, transactions, results, state, validator set in one database
 * transaction). Implements ConsensusHost, the only face consensus sees.
 */
export class Chain implements ConsensusHost {
  readonly mempool: Mempool;
  private readonly waits = new CommitWaits();
  private readonly verified = new Set<string>();
  private last: { header: BlockHeader; hash: Uint8Array; resultsRoot: Uint8Array } | undefined;
  /** the last block that passed validateProposal, with its decoded transactions (a proposal is validated, then committed) */
  private lastValidated: ValidatedBlock | undefined;
  private readonly s;

  constructor(
    private readonly opts: ChainOptions,
    private readonly deps: { db: SqlDb; genesis: Genesis; ed: Ed25519; app: Application; state: StateStore; blocks: BlockStore; events?: ChainEvents },
  ) {
    this.mempool = new Mempool({ txsMax: opts.mempoolTxsMax, bytesMax: opts.mempoolBytesMax });
    this.s = {
      getMeta: deps.db.prepare<[string], { v: Buffer }>('SELECT v FROM meta WHERE k = ?'),
      putMeta: deps.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v'),
      putValset: deps.db.prepare('INSERT INTO valsets (height, validators) VALUES (?, ?) ON CONFLICT (height) DO UPDATE SET validators = excluded.validators'),
      getValset: deps.db.prepare<[number], { validators: Buffer }>('SELECT validators FROM valsets WHERE height <= ? ORDER BY height DESC LIMIT 1'),
    };
  }

  get chainId(): string {
    return this.deps.genesis.chainId;
  }

  /** Opens the chain: writes genesis state on first start, and checks that state and blocks agree. */
  open(): void {
    const { db, state, blocks, app, genesis } = this.deps;
    const g = this.s.getMeta.get('genesis');
    const gBytes = encode(genesis as never);
    if (!g) {
      if (state.version !== -1 || blocks.latestHeight() !== 0) throw new SalusError('CORRUPT_DATA', 'data directory holds state but no genesis');
      db.transaction(() => {
        state.commit(0, app.genesisUpdates(genesis));
        this.s.putMeta.run('genesis', buf(gBytes));
        const first = [...genesis.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1));
        this.saveValsetIfChanged(1, first.map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power })));
      })();
    } else if (!bytesEqual(u8(g.v), gBytes)) {
      throw new SalusError('CONFIG', 'the genesis file differs from the one this data directory was created with');
    }
    const h = blocks.latestHeight();
    if (state.version !== h) throw new SalusError('CORRUPT_DATA', `state is at version ${state.version} but blocks end at ${h}`, { height: h });
    if (h > 0) {
      const b = blocks.requireBlock(h);
      this.last = { header: b.header, hash: b.hash, resultsRoot: b.resultsRoot };
    }
    // Stored validator sets are read to check every commit: the last block's must be the one its
    // header names, and the next one must be readable (`salus verify` compares it with a replay).
    readStored({ height: h + 1, object: 'validators' }, () => {
      if (this.last && !bytesEqual(validatorsHash(this.validatorsFor(h)), this.last.header.validatorsHash)) {
        throw new SalusError('CORRUPT_DATA', `the stored validator set for height ${h} differs from the chain's`, { height: h, object: 'validators' });
      }
      this.validatorsFor(h + 1);
    });
  }

  lastHeight(): number {
    return this.last?.header.height ?? 0;
  }

  lastBlockTime(): number {
    return this.last?.header.time ?? this.deps.genesis.genesisTime;
  }

  lastHeader(): BlockHeader | undefined {
    return this.last?.header;
  }

  /** The height and earliest time of the next block: what admission checks run against. */
  private nextBlock(): { height: number; time: number } {
    return { height: this.lastHeight() + 1, time: this.lastBlockTime() + 1 };
  }

  hasPendingTxs(): boolean {
    return this.mempool.size > 0;
  }

  /** Validators that sign block `height`, as recorded when the previous block committed. */
  validatorsFor(height: number): Validator[] {
    const row = this.s.getValset.get(height);
    if (!row) throw new SalusError('NOT_FOUND', `no validator set for height ${height}`);
    const list = decode(u8(row.validators)) as { pubKey: Uint8Array; power: number }[];
    return list.map((x) => ({ pubKey: x.pubKey, power: x.power }));
  }

  /** Records the set that signs `height` onwards, as block execution returned it (ABCI's EndBlock). */
  private saveValsetIfChanged(height: number, next: readonly Validator[]): void {
    const prev = this.s.getValset.get(height);
    const encoded = encode(next.map((x) => ({ pubKey: x.pubKey, power: x.power })));
    if (!prev || !bytesEqual(u8(prev.validators), encoded)) this.s.putValset.run(height, buf(encoded));
  }

  /** Admission: stateless checks, signature, then the application's checkTx. Returns the hash. */
  submit(bytes: Uint8Array, origin?: string): string {
    // The duplicate checks come before the signature check: gossip delivers each transaction once per peer.
    const hash = txHash(bytes);
    const hashHex = toHex(hash);
    if (this.mempool.has(hashHex)) throw new SalusError('CONFLICT', 'transaction is already in the mempool', { hash: hashHex });
    if (this.deps.blocks.findTx(hash)) throw new SalusError('NONCE_REPLAYED', 'transaction is already committed', { hash: hashHex });
    this.admit(bytes, hash, hashHex, origin);
    return hashHex;
  }

  /**
   * Gossip's way in: a transaction this node already holds or has committed is skipped without
   * building an error (the common case: flood gossip brings each one from several peers, and
   * after a commit). Anything else is admitted as `submit` does, and its errors thrown.
   */
  offer(bytes: Uint8Array, origin: string): void {
    const hash = txHash(bytes);
    const hashHex = toHex(hash);
    if (this.mempool.has(hashHex) || this.deps.blocks.findTx(hash)) return;
    this.admit(bytes, hash, hashHex, origin);
  }

  private admit(bytes: Uint8Array, hash: Uint8Array, hashHex: string, origin: string | undefined): void {
    const { tx } = checkTxStateless(this.deps.ed, bytes, this.chainId);
    this.mempool.ensureRoom(bytes.length);
    this.deps.app.checkTx(tx, hash, this.nextBlock());
    this.mempool.add({ hash, hashHex, bytes, tx });
    this.verified.add(hashHex);
    this.deps.events?.onTxAdmitted?.(bytes, hashHex, origin);
  }

  /** Resolves with the receipt once the transaction is committed here, or rejects with TIMEOUT. */
  waitForCommit(hashHex: string, timeoutMs: number): Promise<Receipt> {
    const found = this.receipt(hashHex);
    if (found) return Promise.resolve(found);
    return this.waits.forTx(hashHex, timeoutMs);
  }

  /** Resolves once block `height` is committed here, or rejects with TIMEOUT (bounded: at most 10,000 waiters). */
  waitForHeight(height: number, timeoutMs: number): Promise<void> {
    if (this.lastHeight() >= height) return Promise.resolve();
    if (height > this.lastHeight() + 1000) return Promise.reject(new SalusError('INVALID_FIELD', `height ${height} is far beyond this node's ${this.lastHeight()}`, { height }));
    return this.waits.forHeight(height, timeoutMs);
  }

  receipt(hashHex: string): Receipt | undefined {
    const loc = this.deps.blocks.findTx(Uint8Array.from(Buffer.from(hashHex, 'hex')));
    if (!loc) return undefined;
    const t = this.deps.blocks.getTx(loc.height, loc.index)!;
    return { hash: hashHex, height: loc.height, index: loc.index, result: decode(t.result) as TxResult };
  }

  proposeBlock(height: number, time: number, proposer: Uint8Array): Block {
    if (height !== this.lastHeight() + 1) throw new SalusError('INVALID_FIELD', `cannot propose height ${height} after ${this.lastHeight()}`);
    const picked = this.mempool.reap(this.opts.blockTxsMax, this.opts.blockBytesMax);
    const txs = picked.map((p) => p.bytes);
    const header: BlockHeader = {
      chainId: this.chainId,
      height,
      time,
      prevHash: this.last?.hash ?? ZERO32,
      txRoot: merkleRoot(txs),
      txCount: txs.length,
      appHash: this.deps.state.root,
      lastResultsHash: this.last?.resultsRoot ?? EMPTY_ROOT,
      validatorsHash: validatorsHash(this.validatorsFor(height)),
      proposer,
    };
    return { header, txs };
  }

  /**
   * Checks a proposed block against the chain tip: hash link, height, time, roots and validator
   * set (not who proposes it: a locked block is re-proposed by others). Returns the decoded
   * transactions. Its commit is checked by validateBlock. The last block validated is remembered
   * with its decoded transactions, so committing it does not decode them again, and transactions
   * already in the mempool are taken from there instead of being decoded at all.
   */
  validateProposal(block: Block, o: { timeMax?: number } = {}): SignedTx[] {
    return this.validated(block, o).txs;
  }

  private validated(block: Block, o: { timeMax?: number }): ValidatedBlock {
    const { header } = block;
    const id = headerHash(header);
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new SalusError('CORRUPT_DATA', `block ${header.height}: ${what}`, { height: header.height, object: what });
    };
    expect(header.chainId === this.chainId, 'chain id');
    expect(header.height === this.lastHeight() + 1, 'height');
    expect(bytesEqual(header.prevHash, this.last?.hash ?? ZERO32), 'previous block hash');
    expect(header.time > this.lastBlockTime(), 'time');
    if (o.timeMax !== undefined) expect(header.time <= o.timeMax, 'time too far ahead');
    const seen = this.lastValidated;
    // the same header (hash) over the same tip, with the same transaction bytes: its roots were checked already
    if (seen && bytesEqual(seen.id, id) && sameTxs(seen.txsRef, block.txs)) return seen;
    expect(header.txCount === block.txs.length, 'transaction count');
    expect(bytesEqual(header.txRoot, merkleRoot(block.txs)), 'transactions root');
    expect(bytesEqual(header.appHash, this.deps.state.root), 'app hash');
    expect(bytesEqual(header.lastResultsHash, this.last?.resultsRoot ?? EMPTY_ROOT), 'results hash');
    expect(bytesEqual(header.validatorsHash, validatorsHash(this.validatorsFor(header.height))), 'validator set');
    const hashes: Uint8Array[] = [];
    const hexes: string[] = [];
    const txs = block.txs.map((b) => {
      const hash = txHash(b);
      const hex = toHex(hash);
      hashes.push(hash);
      hexes.push(hex);
      return this.mempool.get(hex)?.tx ?? decodeTx(b);
    });
    const out: ValidatedBlock = { id, txsRef: block.txs, txs, hashes, hexes };
    this.lastValidated = out;
    return out;
  }

  /** Checks a block against the chain tip (hash link, roots, validator set) and its commit. */
  validateBlock(block: Block, commit: Commit): SignedTx[] {
    return this.validatedWithCommit(block, commit).txs;
  }

  private validatedWithCommit(block: Block, commit: Commit): ValidatedBlock {
    const v = this.validated(block, {});
    verifyCommit(this.deps.ed, block.header, commit, this.validatorsFor(block.header.height));
    return v;
  }

  /** `txsVerified[i]`: the signature of transaction i was checked already (block sync checks them ahead, off the event loop). */
  commitBlock(block: Block, commit: Commit, txsVerified?: readonly boolean[]): void {
    const { txs: decoded, hashes, hexes, id } = this.validatedWithCommit(block, commit);
    this.lastValidated = undefined;
    const { header } = block;
    const out = this.deps.app.executeBlock({
      height: header.height,
      time: header.time,
      txs: decoded.map((tx, i) => ({ tx, hash: hashes[i]!, verified: txsVerified?.[i] === true || this.verified.has(hexes[i]!) })),
    });
    const encodedResults = out.results.map(encodeResult);
    const rRoot = resultsRoot(encodedResults);
    const { db, state, blocks } = this.deps;
    try {
      db.transaction(() => {
        state.commit(header.height, out.updates);
        blocks.save(header, commit, block.txs, hashes, encodedResults, rRoot);
        if (out.nextValidators) this.saveValsetIfChanged(header.height + 1, out.nextValidators);
      })();
    } catch (e) {
      state.reload();
      throw storageFailure(e, `block ${header.height}`);
    }
    this.last = { header, hash: id, resultsRoot: rRoot };
    for (const h of hexes) this.verified.delete(h);
    this.recheck(hexes);
    this.deps.events?.onBlock?.(header, out.results);
    this.waits.committed(header.height, hexes, out.results);
  }

  /** After a commit the remaining mempool transactions are re-checked against the new state. */
  private recheck(committed: readonly string[]): void {
    const rest: PendingTx[] = this.mempool.removeCommitted(committed);
    this.deps.app.resetCheckState();
    const next = this.nextBlock();
    for (const p of rest) {
      try {
        this.deps.app.checkTx(p.tx, p.hash, next);
      } catch {
        this.mempool.remove(p.hashHex);
        this.verified.delete(p.hashHex);
      }
    }
  }
}

/** Byte comparison of two transaction lists: far cheaper than hashing them into a Merkle root again. */
function sameTxs(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!bytesEqual(a[i]!, b[i]!)) return false;
  return true;
}
