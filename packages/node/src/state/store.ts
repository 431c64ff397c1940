import {
  SalusError,
  ZERO_HASH,
  bytesEqual,
  sha256,
  smtApply,
  smtInnerHash,
  smtLeafHash,
  smtProve,
  toHex,
  type SmtLookup,
  type SmtNode,
  type SmtNodeReader,
  type SmtUpdate,
} from '@salus/core';
import { buf, u8, type Db } from '../storage/db.js';
import { decodeNode, encodeNode } from './node-codec.js';
import { evictOldest } from '@salus/module';

export interface StateStoreOptions {
  /** nodes kept in memory (upper levels are read on every update) */
  readonly nodeCacheMax: number;
  /** old versions whose proofs are still served */
  readonly keepVersions: number;
}

export const defaultStateStoreOptions: StateStoreOptions = { nodeCacheMax: 200_000, keepVersions: 100 };

/**
 * The authenticated key-value state: a flat table of current values for fast reads, and the
 * sparse Merkle tree (core/smt.ts) whose root is the app hash, for proofs. Versions are block
 * heights; nodes replaced by a version are kept `keepVersions` more versions so recent roots stay
 * provable, then pruned.
 */
export class StateStore implements SmtNodeReader {
  private readonly cache = new Map<string, SmtNode>();
  private readonly stmts;
  private currentRoot: Uint8Array;
  private currentVersion: number;

  constructor(
    private readonly db: Db,
    private readonly opts: StateStoreOptions = defaultStateStoreOptions,
  ) {
    this.stmts = {
      getValue: db.prepare<[Buffer], { value: Buffer }>('SELECT value FROM state WHERE key = ?'),
      putValue: db.prepare('INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)'),
      delValue: db.prepare('DELETE FROM state WHERE key = ?'),
      getNode: db.prepare<[Buffer], { node: Buffer }>('SELECT node FROM smt_nodes WHERE hash = ?'),
      putNode: db.prepare('INSERT OR IGNORE INTO smt_nodes (hash, node) VALUES (?, ?)'),
      unorphan: db.prepare('DELETE FROM smt_orphans WHERE hash = ?'),
      orphan: db.prepare('INSERT OR REPLACE INTO smt_orphans (hash, version) VALUES (?, ?)'),
      expired: db.prepare<[number], { hash: Buffer }>('SELECT hash FROM smt_orphans WHERE version <= ?'),
      delNode: db.prepare('DELETE FROM smt_nodes WHERE hash = ?'),
      delOrphans: db.prepare('DELETE FROM smt_orphans WHERE version <= ?'),
      putRoot: db.prepare('INSERT OR REPLACE INTO smt_roots (version, root) VALUES (?, ?)'),
      getRoot: db.prepare<[number], { root: Buffer }>('SELECT root FROM smt_roots WHERE version = ?'),
      lastRoot: db.prepare<[], { version: number; root: Buffer }>('SELECT version, root FROM smt_roots ORDER BY version DESC LIMIT 1'),
      delRoots: db.prepare('DELETE FROM smt_roots WHERE version < ?'),
      allValues: db.prepare<[], { key: Buffer; value: Buffer }>('SELECT key, value FROM state ORDER BY key'),
      range: db.prepare<[Buffer, Buffer, number], { key: Buffer; value: Buffer }>('SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
    };
    const last = this.stmts.lastRoot.get();
    this.currentVersion = last?.version ?? -1;
    this.currentRoot = last ? u8(last.root) : ZERO_HASH;
  }

  get root(): Uint8Array {
    return this.currentRoot;
  }

  get version(): number {
    return this.currentVersion;
  }

  /**
   * Current entries whose key starts with `prefix` and sorts after `after` (or from the prefix
   * itself), in byte order, at most `limit`: a range scan of the primary key.
   */
  list(prefix: Uint8Array, after: Uint8Array | undefined, limit: number): { key: Uint8Array; value: Uint8Array }[] {
    // keys after the prefix's last possible extension sort at or past prefix ‖ 0xff…; state keys are UTF-8, which never holds 0xff
    const useAfter = after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0;
    const from = useAfter ? after : prefix;
    const to = Buffer.concat([Buffer.from(prefix), Buffer.from([0xff])]);
    const rows = this.stmts.range.all(buf(from), to, limit);
    // the prefix itself (an exact key equal to the prefix) sorts before every extension: include it when no `after` is given
    const exact = useAfter ? undefined : this.get(prefix);
    const out = rows.map((r) => ({ key: u8(r.key), value: u8(r.value) }));
    return exact ? [{ key: prefix, value: exact }, ...out].slice(0, limit) : out;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const row = this.stmts.getValue.get(buf(key));
    return row ? u8(row.value) : undefined;
  }

  getNode(hash: Uint8Array): SmtNode | undefined {
    const id = toHex(hash);
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = this.stmts.getNode.get(buf(hash));
    if (!row) return undefined;
    const node = decodeNode(u8(row.node));
    // A node read back must hash to its address: a flipped byte on disk is caught here.
    const h = node.kind === 'inner' ? smtInnerHash(node.left, node.right) : smtLeafHash(node.path, node.valueHash);
    if (!bytesEqual(h, hash) || (node.kind === 'leaf' && !bytesEqual(sha256(node.value), node.valueHash))) {
      throw new SalusError('CORRUPT_DATA', `state-tree node ${id} does not match its hash`);
    }
    this.remember(id, node);
    return node;
  }

  private remember(id: string, node: SmtNode): void {
    if (this.cache.size >= this.opts.nodeCacheMax) evictOldest(this.cache, Math.max(1, Math.ceil(this.opts.nodeCacheMax / 10)));
    this.cache.set(id, node);
  }

  /** Applies a block's writes as `version`; call inside the caller's database transaction. */
  commit(version: number, updates: readonly SmtUpdate[]): Uint8Array {
    if (version !== this.currentVersion + 1) {
      throw new SalusError('CORRUPT_DATA', `state version ${version} does not follow ${this.currentVersion}`);
    }
    const { root, created, orphaned } = smtApply(this, this.currentRoot, updates);
    for (const { hash, node } of created.values()) {
      // Content-addressed: a node that already exists was orphaned by an earlier version and is
      // live again, so it must not be pruned; a new node cannot have an orphan record.
      if (this.stmts.putNode.run(buf(hash), buf(encodeNode(node))).changes === 0) this.stmts.unorphan.run(buf(hash));
      this.remember(toHex(hash), node);
    }
    for (const h of orphaned) this.stmts.orphan.run(buf(h), version);
    for (const u of updates) {
      if (u.value === undefined) this.stmts.delValue.run(buf(u.key));
      else this.stmts.putValue.run(buf(u.key), buf(u.value));
    }
    this.stmts.putRoot.run(version, buf(root));
    const expire = version - this.opts.keepVersions;
    if (expire >= 0) {
      for (const { hash } of this.stmts.expired.all(expire)) {
        this.stmts.delNode.run(hash);
        this.cache.delete(hash.toString('hex'));
      }
      this.stmts.delOrphans.run(expire);
      this.stmts.delRoots.run(expire);
    }
    this.currentRoot = root;
    this.currentVersion = version;
    return root;
  }

  /** Forget in-memory state after a failed database transaction. */
  reload(): void {
    this.cache.clear();
    const last = this.stmts.lastRoot.get();
    this.currentVersion = last?.version ?? -1;
    this.currentRoot = last ? u8(last.root) : ZERO_HASH;
  }

  rootAt(version: number): Uint8Array | undefined {
    if (version === -1) return ZERO_HASH;
    const r = this.stmts.getRoot.get(version);
    return r ? u8(r.root) : undefined;
  }

  prove(key: Uint8Array, version = this.currentVersion): SmtLookup & { root: Uint8Array } {
    const root = this.rootAt(version);
    if (!root) throw new SalusError('NOT_FOUND', `state version ${version} is no longer kept`, { version });
    return { ...smtProve(this, root, key), root };
  }

  *entries(): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    for (const r of this.stmts.allValues.iterate()) yield { key: u8(r.key), value: u8(r.value) };
  }
}
