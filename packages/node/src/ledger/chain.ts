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
import type { Db } from '../storage/db.js';
import { buf, u8 } from '../storage/db.js';
import type { StateStore } from '../state/store.js';
import { readStored, type BlockStore } from './blockstore.js';
import { Mempool, type PendingTx } from '../mempool/mempool.js';
import { decode } from '@salus/core';
import { type Application, encodeResult, resultsRoot, type TxResult, type Genesis } from '@salus/module';

export interface ChainOptions {
  readonly blockTxsMax: number;
  readonly blockBytesMax: number;
  readonly mempoolTxsMax: number;
  readonly mempoolBytesMax: number;
}

export interface Receipt {
  readonly hash: string;
  readonly height: number;
  readonly index: number;
  readonly result: TxResult;
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
  private readonly waiters = new Map<string, ((r: Receipt) => void)[]>();
  private heightWaiters: { readonly height: number; readonly done: () => void }[] = [];
  private readonly verified = new Set<string>();
  private last: { header: BlockHeader; hash: Uint8Array; resultsRoot: Uint8Array } | undefined;
  private readonly s;

  constructor(
    private readonly opts: ChainOptions,
    private readonly deps: { db: Db; genesis: Genesis; ed: Ed25519; app: Application; state: StateStore; blocks: BlockStore; events?: ChainEvents },
  ) {
    this.mempool = new Mempool({ txsMax: opts.mempoolTxsMax, bytesMax: opts.mempoolBytesMax });
    this.s = {
      getMeta: deps.db.prepare<[string], { v: Buffer }>('SELECT v FROM meta WHERE k = ?'),
      putMeta: deps.db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      putValset: deps.db.prepare('INSERT OR REPLACE INTO valsets (height, validators) VALUES (?, ?)'),
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
    // The duplicate check comes before the signature check: gossip delivers each transaction once per peer.
    const hashHex = toHex(txHash(bytes));
    if (this.mempool.has(hashHex)) throw new SalusError('CONFLICT', 'transaction is already in the mempool', { hash: hashHex });
    const { tx, hash } = checkTxStateless(this.deps.ed, bytes, this.chainId);
    if (this.deps.blocks.findTx(hash)) throw new SalusError('NONCE_REPLAYED', 'transaction is already committed', { hash: hashHex });
    this.mempool.ensureRoom(bytes.length);
    this.deps.app.checkTx(tx, hash, this.nextBlock());
    this.mempool.add({ hash, hashHex, bytes, tx });
    this.verified.add(hashHex);
    this.deps.events?.onTxAdmitted?.(bytes, hashHex, origin);
    return hashHex;
  }

  waitForCommit(hashHex: string, timeoutMs: number): Promise<Receipt> {
    const found = this.receipt(hashHex);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(hashHex) ?? [];
      const timer = setTimeout(() => {
        const l = this.waiters.get(hashHex);
        if (l) {
          l.splice(l.indexOf(done), 1);
          if (l.length === 0) this.waiters.delete(hashHex);
        }
        reject(new SalusError('TIMEOUT', `transaction ${hashHex} not committed within ${timeoutMs} ms`, { hash: hashHex }));
      }, timeoutMs);
      const done = (r: Receipt) => {
        clearTimeout(timer);
        resolve(r);
      };
      list.push(done);
      this.waiters.set(hashHex, list);
    });
  }

  /** Resolves once block `height` is committed here, or rejects with TIMEOUT (bounded: at most 10,000 waiters). */
  waitForHeight(height: number, timeoutMs: number): Promise<void> {
    if (this.lastHeight() >= height) return Promise.resolve();
    if (height > this.lastHeight() + 1000) return Promise.reject(new SalusError('INVALID_FIELD', `height ${height} is far beyond this node's ${this.lastHeight()}`, { height }));
    if (this.heightWaiters.length >= 10_000) return Promise.reject(new SalusError('TOO_MANY_REQUESTS', 'too many requests wait for a height; retry shortly'));
    return new Promise((resolve, reject) => {
      const w = { height, done: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.heightWaiters = this.heightWaiters.filter((x) => x !== w);
        reject(new SalusError('TIMEOUT', `this node has not reached height ${height} within ${timeoutMs} ms`, { height }));
      }, timeoutMs);
      this.heightWaiters.push(w);
    });
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
   * set (not who proposes it: a locked block is re-proposed by others). Returns the decoded transactions. Its commit is checked by validateBlock.
   */
  validateProposal(block: Block, o: { timeMax?: number } = {}): SignedTx[] {
    const { header } = block;
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new SalusError('CORRUPT_DATA', `block ${header.height}: ${what}`, { height: header.height, object: what });
    };
    expect(header.chainId === this.chainId, 'chain id');
    expect(header.height === this.lastHeight() + 1, 'height');
    expect(bytesEqual(header.prevHash, this.last?.hash ?? ZERO32), 'previous block hash');
    expect(header.time > this.lastBlockTime(), 'time');
    if (o.timeMax !== undefined) expect(header.time <= o.timeMax, 'time too far ahead');
    expect(header.txCount === block.txs.length, 'transaction count');
    expect(bytesEqual(header.txRoot, merkleRoot(block.txs)), 'transactions root');
    expect(bytesEqual(header.appHash, this.deps.state.root), 'app hash');
    expect(bytesEqual(header.lastResultsHash, this.last?.resultsRoot ?? EMPTY_ROOT), 'results hash');
    expect(bytesEqual(header.validatorsHash, validatorsHash(this.validatorsFor(header.height))), 'validator set');
    return block.txs.map((b) => decodeTx(b));
  }

  /** Checks a block against the chain tip (hash link, roots, validator set) and its commit. */
  validateBlock(block: Block, commit: Commit): SignedTx[] {
    const txs = this.validateProposal(block);
    verifyCommit(this.deps.ed, block.header, commit, this.validatorsFor(block.header.height));
    return txs;
  }

  commitBlock(block: Block, commit: Commit): void {
    const decoded = this.validateBlock(block, commit);
    const { header } = block;
    const hashes = block.txs.map(txHash);
    const hexes = hashes.map(toHex);
    const out = this.deps.app.executeBlock({
      height: header.height,
      time: header.time,
      txs: decoded.map((tx, i) => ({ tx, hash: hashes[i]!, verified: this.verified.has(hexes[i]!) })),
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
      throw e;
    }
    this.last = { header, hash: headerHash(header), resultsRoot: rRoot };
    for (const h of hexes) this.verified.delete(h);
    this.recheck(hashes);
    this.deps.events?.onBlock?.(header, out.results);
    if (this.heightWaiters.length > 0) {
      const due = this.heightWaiters.filter((w) => w.height <= header.height);
      this.heightWaiters = this.heightWaiters.filter((w) => w.height > header.height);
      for (const w of due) w.done();
    }
    for (let i = 0; i < hexes.length; i++) {
      const ws = this.waiters.get(hexes[i]!);
      if (!ws) continue;
      this.waiters.delete(hexes[i]!);
      const r: Receipt = { hash: hexes[i]!, height: header.height, index: i, result: out.results[i]! };
      for (const w of ws) w(r);
    }
  }

  /** After a commit the remaining mempool transactions are re-checked against the new state. */
  private recheck(committed: readonly Uint8Array[]): void {
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
