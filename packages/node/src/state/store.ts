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
import { buf, u8 } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';
import { decodeNode, encodeNode, packRefs, unpackRefs } from './node-codec.js';
import { evictOldest } from '@salus/module';
import { readBase } from './base.js';
import { StateValueCache } from './value-cache.js';

export interface StateStoreOptions {
  /** nodes kept in memory (upper levels are read on every update) */
  readonly nodeCacheMax: number;
  /** old versions whose proofs are still served */
  readonly keepVersions: number;
  /** current values kept in memory (StateValueCache; absent or 0: none, the embedded store's default) */
  readonly valueCacheMax?: number;
}

/**
 * 50,000 nodes hold the upper ~15 levels of the tree, which every update walks; below them reads
 * are random whatever the cache size. Each cached node costs ~1–2 KB of resident memory (objects,
 * views and allocator overhead), so 200,000 nodes meant ~400 MB of a validator's RSS for ~20% less
 * state-commit CPU at 100,000 transactions (measured).
 */
export const defaultStateStoreOptions: StateStoreOptions = { nodeCacheMax: 50_000, keepVersions: 100 };

/**
 * Node references: a node made by version v gets v × REF_SPAN + its index in the batch, so each
 * block's new nodes append at the end of `smt_nodes` (an INTEGER PRIMARY KEY: SQLite's rowid
 * B-tree) instead of landing at random places of an index over their hashes, and a version's
 * replaced nodes sit next to each other when pruned. 2^22 nodes per version and versions below
 * 2^31 keep references exact in a double.
 */
export const REF_SPAN = 2 ** 22;

/**
 * The authenticated key-value state: a flat table of current values for fast reads, and the
 * sparse Merkle tree (core/smt.ts) whose root is the app hash, for proofs. Versions are block
 * heights. Tree nodes are addressed by reference (Jellyfish-style: by the version that made them,
 * not by content); the nodes a version replaces are listed in one `smt_stale` row and deleted
 * `keepVersions` versions later, so recent roots stay provable.
 */
export class StateStore implements SmtNodeReader {
  private readonly cache = new Map<number, SmtNode>();
  private readonly values: StateValueCache;
  private readonly stmts;
  private currentRoot: Uint8Array;
  private currentRef: number;
  private currentVersion: number;
  /** the version a state-synced store started from (0: genesis); its nodes are never pruned, so `salus verify` can replay from it */
  readonly baseVersion: number;

  constructor(
    db: SqlDb,
    private readonly opts: StateStoreOptions = defaultStateStoreOptions,
  ) {
    this.values = new StateValueCache(opts.valueCacheMax ?? 0);
    this.stmts = {
      getValue: db.prepare<[Buffer], { value: Buffer }>('SELECT value FROM state WHERE key = ?'),
      putValue: db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      delValue: db.prepare('DELETE FROM state WHERE key = ?'),
      getNode: db.prepare<[number], { node: Buffer }>('SELECT node FROM smt_nodes WHERE ref = ?'),
      putNode: db.prepare('INSERT INTO smt_nodes (ref, node) VALUES (?, ?)'),
      putStale: db.prepare('INSERT INTO smt_stale (version, refs) VALUES (?, ?)'),
      expired: db.prepare<[number], { refs: Buffer }>('SELECT refs FROM smt_stale WHERE version <= ?'),
      delNode: db.prepare('DELETE FROM smt_nodes WHERE ref = ?'),
      delStale: db.prepare('DELETE FROM smt_stale WHERE version <= ?'),
      putRoot: db.prepare('INSERT INTO smt_roots (version, root, ref) VALUES (?, ?, ?) ON CONFLICT (version) DO UPDATE SET root = excluded.root, ref = excluded.ref'),
      getRoot: db.prepare<[number], { root: Buffer; ref: number }>('SELECT root, ref FROM smt_roots WHERE version = ?'),
      lastRoot: db.prepare<[], { version: number; root: Buffer; ref: number }>('SELECT version, root, ref FROM smt_roots ORDER BY version DESC LIMIT 1'),
      delRoots: db.prepare('DELETE FROM smt_roots WHERE version < ? AND version <> ?'),
      allValues: db.prepare<[], { key: Buffer; value: Buffer }>('SELECT key, value FROM state ORDER BY key'),
      range: db.prepare<[Buffer, Buffer, number], { key: Buffer; value: Buffer }>('SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
    };
    const last = this.stmts.lastRoot.get();
    this.currentVersion = last?.version ?? -1;
    this.currentRoot = last ? u8(last.root) : ZERO_HASH;
    this.currentRef = last?.ref ?? 0;
    this.baseVersion = readBase(db);
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
    if (this.values.enabled) {
      const hit = this.values.get(key);
      if (hit !== undefined) return hit ?? undefined;
    }
    const row = this.stmts.getValue.get(buf(key));
    const value = row ? u8(row.value) : undefined;
    if (this.values.enabled) this.values.set(key, value);
    return value;
  }

  getNode(hash: Uint8Array, ref?: number): SmtNode | undefined {
    if (ref === undefined || ref <= 0) return undefined;
    const hit = this.cache.get(ref);
    if (hit) return hit;
    const row = this.stmts.getNode.get(ref);
    if (!row) return undefined;
    const node = decodeNode(u8(row.node));
    // A node read back must hash to the hash its parent recorded: a flipped byte on disk is caught here.
    const h = node.kind === 'inner' ? smtInnerHash(node.left, node.right) : smtLeafHash(node.path, node.valueHash);
    if (!bytesEqual(h, hash) || (node.kind === 'leaf' && !bytesEqual(sha256(node.value), node.valueHash))) {
      throw new SalusError('CORRUPT_DATA', `state-tree node ${ref} (${toHex(hash)}) does not match its hash`);
    }
    this.remember(ref, node);
    return node;
  }

  private remember(ref: number, node: SmtNode): void {
    if (this.cache.size >= this.opts.nodeCacheMax) evictOldest(this.cache, Math.max(1, Math.ceil(this.opts.nodeCacheMax / 10)));
    this.cache.set(ref, node);
  }

  /** Applies a block's writes as `version`; call inside the caller's database transaction. */
  commit(version: number, updates: readonly SmtUpdate[]): Uint8Array {
    if (version !== this.currentVersion + 1) {
      throw new SalusError('CORRUPT_DATA', `state version ${version} does not follow ${this.currentVersion}`);
    }
    if (version >= 2 ** 31) throw new SalusError('CORRUPT_DATA', `state version ${version} is past the last one node references can address`);
    let next = version * REF_SPAN;
    const allocate = (): number => {
      next++;
      if (next >= (version + 1) * REF_SPAN) throw new SalusError('OVERSIZE', `a block may change at most ${REF_SPAN - 1} state-tree nodes`);
      return next;
    };
    const { root, rootRef, created, orphanedRefs } = smtApply(this, this.currentRoot, updates, { allocate, rootRef: this.currentRef });
    for (const { ref, node } of created) {
      this.stmts.putNode.run(ref!, encodeNode(node));
      // new leaves are seldom read again soon (only when a key lands beside one): inner nodes only
      if (node.kind === 'inner') this.remember(ref!, node);
    }
    if (orphanedRefs.length > 0) this.stmts.putStale.run(version, buf(packRefs(orphanedRefs)));
    for (const u of updates) {
      if (u.value === undefined) this.stmts.delValue.run(buf(u.key));
      else this.stmts.putValue.run(buf(u.key), buf(u.value));
      if (this.values.enabled) this.values.set(u.key, u.value);
    }
    this.stmts.putRoot.run(version, buf(root), rootRef);
    const expire = version - this.opts.keepVersions;
    if (expire >= 0) {
      // a state-synced store's base nodes (every reference up to the base version's span) stay
      const pinnedBelow = this.baseVersion > 0 ? (this.baseVersion + 1) * REF_SPAN : 0;
      for (const { refs } of this.stmts.expired.all(expire)) {
        for (const ref of unpackRefs(u8(refs))) {
          if (ref < pinnedBelow) continue;
          this.stmts.delNode.run(ref);
          this.cache.delete(ref);
        }
      }
      this.stmts.delStale.run(expire);
      this.stmts.delRoots.run(expire, this.baseVersion > 0 ? this.baseVersion : -1);
    }
    this.currentRoot = root;
    this.currentRef = rootRef;
    this.currentVersion = version;
    return root;
  }

  /** Forget in-memory state after a failed database transaction. */
  reload(): void {
    this.cache.clear();
    this.values.clear();
    const last = this.stmts.lastRoot.get();
    this.currentVersion = last?.version ?? -1;
    this.currentRoot = last ? u8(last.root) : ZERO_HASH;
    this.currentRef = last?.ref ?? 0;
  }

  rootAt(version: number): Uint8Array | undefined {
    return this.rootRefAt(version)?.root;
  }

  /** The root of a kept version and its node reference (a snapshot is read from it). */
  rootRefAt(version: number): { root: Uint8Array; ref: number } | undefined {
    if (version === -1) return { root: ZERO_HASH, ref: 0 };
    const r = this.stmts.getRoot.get(version);
    return r ? { root: u8(r.root), ref: r.ref } : undefined;
  }

  prove(key: Uint8Array, version = this.currentVersion): SmtLookup & { root: Uint8Array } {
    const at = this.rootRefAt(version);
    if (!at) throw new SalusError('NOT_FOUND', `state version ${version} is no longer kept`, { version });
    return { ...smtProve(this, at.root, key, at.ref), root: at.root };
  }

  *entries(): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    for (const r of this.stmts.allValues.iterate()) yield { key: u8(r.key), value: u8(r.value) };
  }
}
