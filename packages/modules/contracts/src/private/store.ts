import Database from 'better-sqlite3';
import { SalusError, ZERO_HASH, decode, encode, fromHex, smtApply, smtProve, toHex, utf8ToBytes, type SmtCreated, type SmtLookup, type SmtNode, type SmtNodeReader } from '@salus/core';

export type PrivateWrites = ReadonlyMap<string, Uint8Array | null>;

/** A private call's effect, computed before it is committed: the new root and the tree nodes that make it. */
export interface PrivatePreview {
  readonly root: string;
  readonly created: readonly SmtCreated[];
}

/**
 * Private contract state on a party's node: only this node's disk, never the ledger. Per contract,
 * a table of current values (contract-relative keys) and a sparse Merkle tree over them (core's
 * smt, the same tree as the ledger's state) whose root the ledger keeps; so a party proves a value
 * to another party against a root both can check on the ledger. Tree nodes are content addressed
 * and shared by all contracts; old roots stay provable (nothing is pruned yet).
 */
export class PrivateStore implements SmtNodeReader {
  private readonly db: Database.Database;
  private readonly nodes = new Map<string, SmtNode>();
  private readonly stmts;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a crash of the process; after a power loss the last calls are replayed from their inputs (the ledger has them)
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS pvalues (contract TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (contract, key)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pnodes (hash BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS proots (contract TEXT PRIMARY KEY, root TEXT NOT NULL, calls INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pmeta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    `);
    this.stmts = {
      get: this.db.prepare<[string, string], { value: Buffer }>('SELECT value FROM pvalues WHERE contract = ? AND key = ?'),
      list: this.db.prepare<[string, string, string, number], { key: string; value: Buffer }>('SELECT key, value FROM pvalues WHERE contract = ? AND key > ? AND key >= ? ORDER BY key LIMIT ?'),
      put: this.db.prepare('INSERT OR REPLACE INTO pvalues (contract, key, value) VALUES (?, ?, ?)'),
      del: this.db.prepare('DELETE FROM pvalues WHERE contract = ? AND key = ?'),
      node: this.db.prepare<[Buffer], { node: Buffer }>('SELECT node FROM pnodes WHERE hash = ?'),
      putNode: this.db.prepare('INSERT OR IGNORE INTO pnodes (hash, node) VALUES (?, ?)'),
      root: this.db.prepare<[string], { root: string; calls: number }>('SELECT root, calls FROM proots WHERE contract = ?'),
      putRoot: this.db.prepare('INSERT OR REPLACE INTO proots (contract, root, calls) VALUES (?, ?, ?)'),
      meta: this.db.prepare<[string], { value: number }>('SELECT value FROM pmeta WHERE name = ?'),
      putMeta: this.db.prepare('INSERT OR REPLACE INTO pmeta (name, value) VALUES (?, ?)'),
    };
  }

  /** The contract's private-state root (hex) and committed calls; the empty tree before its first call. */
  head(contract: string): { root: string; calls: number } {
    return this.stmts.root.get(contract) ?? { root: toHex(ZERO_HASH), calls: 0 };
  }

  getRaw(contract: string, key: string): Uint8Array | undefined {
    const r = this.stmts.get.get(contract, key);
    return r ? new Uint8Array(r.value) : undefined;
  }

  /** Entries whose key starts with `prefix`, after `after`, in key order (contract keys are printable ASCII, so SQLite's byte order is their order). */
  listRaw(contract: string, prefix: string, after: string | undefined, limit: number): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    for (const r of this.stmts.list.iterate(contract, after ?? '', prefix, limit * 2 + 1)) {
      if (!r.key.startsWith(prefix)) break;
      out.push([r.key, new Uint8Array(r.value)]);
      if (out.length >= limit) break;
    }
    return out;
  }

  getNode(hash: Uint8Array): SmtNode | undefined {
    const hex = toHex(hash);
    const cached = this.nodes.get(hex);
    if (cached) return cached;
    const r = this.stmts.node.get(Buffer.from(hash));
    if (!r) return undefined;
    const node = decodeNode(new Uint8Array(r.node));
    if (this.nodes.size > 100_000) this.nodes.clear();
    this.nodes.set(hex, node);
    return node;
  }

  /** The root the writes would give on top of `root` (the contract's current one by default); nothing is stored. */
  preview(contract: string, writes: PrivateWrites, root = this.head(contract).root): PrivatePreview {
    const updates = [...writes].map(([key, value]) => ({ key: utf8ToBytes(key), value: value ?? undefined }));
    const out = smtApply(this, fromHex(root, 32), updates);
    return { root: toHex(out.root), created: out.created };
  }

  /** Applies a committed call's writes atomically; its preview must start from the current root. */
  commit(contract: string, writes: PrivateWrites, preview: PrivatePreview, before: string): void {
    const head = this.head(contract);
    if (head.root !== before) throw new SalusError('CORRUPT_DATA', `private state of ${contract} is at ${head.root.slice(0, 12)}…, not ${before.slice(0, 12)}…`);
    this.db.transaction(() => {
      for (const { hash, node } of preview.created.values()) this.stmts.putNode.run(Buffer.from(hash), Buffer.from(encodeNode(node)));
      for (const [key, value] of writes) {
        if (value === null) this.stmts.del.run(contract, key);
        else this.stmts.put.run(contract, key, Buffer.from(value));
      }
      this.stmts.putRoot.run(contract, preview.root, head.calls + 1);
    })();
  }

  /** A value (or its absence) with its proof against the contract's current root. */
  prove(contract: string, key: string): SmtLookup & { root: string } {
    const root = this.head(contract).root;
    return { root, ...smtProve(this, fromHex(root, 32), utf8ToBytes(key)) };
  }

  /** the last height whose private calls this node has applied */
  get applied(): number {
    return this.stmts.meta.get('applied')?.value ?? 0;
  }

  set applied(h: number) {
    this.stmts.putMeta.run('applied', h);
  }

  close(): void {
    this.db.close();
  }
}

function encodeNode(n: SmtNode): Uint8Array {
  return n.kind === 'leaf' ? encode(['leaf', n.path, n.valueHash, n.key, n.value]) : encode(['inner', n.left, n.right]);
}

function decodeNode(bytes: Uint8Array): SmtNode {
  const a = decode(bytes) as [string, ...Uint8Array[]];
  if (a[0] === 'leaf') return { kind: 'leaf', path: a[1]!, valueHash: a[2]!, key: a[3]!, value: a[4]! };
  if (a[0] === 'inner') return { kind: 'inner', left: a[1]!, right: a[2]! };
  throw new SalusError('CORRUPT_DATA', 'a private state tree node does not decode');
}
