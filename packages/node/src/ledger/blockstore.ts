import {
  type BlockHeader,
  type Commit,
  type InclusionProof,
  SalusError,
  bytesEqual,
  decodeCommit,
  decodeHeader,
  encodeCommit,
  encodeHeader,
  headerHash,
  inclusionProof,
  leafHash,
} from '@salus/core';
import { buf, u8 } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';
import { readBase } from '../state/base.js';

export interface StoredBlock {
  readonly header: BlockHeader;
  readonly hash: Uint8Array;
  readonly commit: Commit;
  readonly resultsRoot: Uint8Array;
}

export interface StoredTx {
  readonly height: number;
  readonly index: number;
  readonly tx: Uint8Array;
  readonly result: Uint8Array;
}

/** Decodes stored bytes: a value that no longer decodes is corrupt data, not a malformed request. */
export function readStored<T>(meta: { height: number; object: string }, decodeIt: () => T): T {
  try {
    return decodeIt();
  } catch (e) {
    if (e instanceof SalusError && e.code === 'CORRUPT_DATA') throw e;
    throw new SalusError('CORRUPT_DATA', `stored ${meta.object} of height ${meta.height} does not decode: ${(e as Error).message}`, meta);
  }
}

/**
 * Blocks, their commits, transactions and results, and the index from transaction hash to place.
 * Everything read back is re-checked against the hash that names it (TigerBeetle's habit: check
 * data after reading it), so a changed byte on disk surfaces as CORRUPT_DATA, never as a wrong answer.
 */
/** Blocks whose transaction leaf hashes are kept for inclusion proofs. */
const LEAF_CACHE_BLOCKS = 16;

export class BlockStore {
  private readonly s;
  private readonly leafCache = new Map<number, Uint8Array[]>();

  /** the first block this store holds: 0 from genesis, the snapshot height after state sync (see state/base.ts) */
  readonly base: number;

  constructor(db: SqlDb) {
    this.base = readBase(db);
    this.s = {
      putBlock: db.prepare('INSERT INTO blocks (height, hash, header, commit_, results_root) VALUES (?, ?, ?, ?, ?)'),
      getBlock: db.prepare<[number], { hash: Buffer; header: Buffer; commit_: Buffer; results_root: Buffer }>(
        'SELECT hash, header, commit_, results_root FROM blocks WHERE height = ?',
      ),
      last: db.prepare<[], { height: number }>('SELECT MAX(height) AS height FROM blocks'),
      putTx: db.prepare('INSERT INTO txs (height, idx, tx, result) VALUES (?, ?, ?, ?)'),
      putIndex: db.prepare('INSERT INTO tx_index (hash, height, idx) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      getTxs: db.prepare<[number], { idx: number; tx: Buffer; result: Buffer }>('SELECT idx, tx, result FROM txs WHERE height = ? ORDER BY idx'),
      getTx: db.prepare<[number, number], { tx: Buffer; result: Buffer }>('SELECT tx, result FROM txs WHERE height = ? AND idx = ?'),
      findTx: db.prepare<[Buffer], { height: number; idx: number }>('SELECT height, idx FROM tx_index WHERE hash = ?'),
    };
  }

  latestHeight(): number {
    return this.s.last.get()?.height ?? 0;
  }

  /** Call inside the caller's database transaction. */
  save(header: BlockHeader, commit: Commit, txs: readonly Uint8Array[], txHashes: readonly Uint8Array[], results: readonly Uint8Array[], resultsRoot: Uint8Array): void {
    const hash = headerHash(header);
    this.s.putBlock.run(header.height, buf(hash), buf(encodeHeader(header)), buf(encodeCommit(commit)), buf(resultsRoot));
    for (let i = 0; i < txs.length; i++) {
      this.s.putTx.run(header.height, i, buf(txs[i]!), buf(results[i]!));
      this.s.putIndex.run(buf(txHashes[i]!), header.height, i);
    }
  }

  getBlock(height: number): StoredBlock | undefined {
    const row = this.s.getBlock.get(height);
    if (!row) return undefined;
    const header = readStored({ height, object: 'header' }, () => decodeHeader(u8(row.header)));
    const hash = headerHash(header);
    if (!bytesEqual(hash, u8(row.hash)) || header.height !== height) {
      throw new SalusError('CORRUPT_DATA', `stored block ${height} does not match its hash`, { height, object: 'header' });
    }
    const commit = readStored({ height, object: 'commit' }, () => decodeCommit(u8(row.commit_)));
    if (!bytesEqual(commit.blockHash, hash)) throw new SalusError('CORRUPT_DATA', `stored commit of block ${height} is for another block`, { height, object: 'commit' });
    return { header, hash, commit, resultsRoot: u8(row.results_root) };
  }

  requireBlock(height: number): StoredBlock {
    if (height < this.base) throw new SalusError('BELOW_BASE', `block ${height} is below this node's base ${this.base}: it started from a snapshot there and holds no earlier block`, { height, base: this.base });
    const b = this.getBlock(height);
    if (!b) throw new SalusError('NOT_FOUND', `no block at height ${height}`, { height });
    return b;
  }

  getTxs(height: number): StoredTx[] {
    return this.s.getTxs.all(height).map((r) => ({ height, index: r.idx, tx: u8(r.tx), result: u8(r.result) }));
  }

  findTx(hash: Uint8Array): { height: number; index: number } | undefined {
    const r = this.s.findTx.get(buf(hash));
    return r ? { height: r.height, index: r.idx } : undefined;
  }

  getTx(height: number, index: number): StoredTx | undefined {
    const r = this.s.getTx.get(height, index);
    return r ? { height, index, tx: u8(r.tx), result: u8(r.result) } : undefined;
  }

  /** The transaction's inclusion proof against its block's txRoot (RFC 9162). */
  /**
   * The RFC 9162 inclusion proof of a block's transaction. A proof needs every leaf hash of its
   * block; those of the last few blocks asked about are kept (committed blocks never change), so
   * proofs of one large block do not each re-read and re-hash all its transactions.
   */
  txProof(height: number, index: number): InclusionProof {
    let leaves = this.leafCache.get(height);
    if (!leaves) {
      leaves = this.getTxs(height).map((t) => leafHash(t.tx));
      if (this.leafCache.size >= LEAF_CACHE_BLOCKS) this.leafCache.delete(this.leafCache.keys().next().value!);
      this.leafCache.set(height, leaves);
    }
    return inclusionProof(leaves, index);
  }
}
