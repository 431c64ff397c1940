import { SalusError, type SmtNode, type SmtPosition, type SmtSubtreeNode, ZERO_HASH, bytesEqual, smtBuildSubtree, smtChildPosition, smtInnerOf, toHex } from '@salus/core';
import { buf } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';
import { encodeNode } from './node-codec.js';
import type { SnapshotEntry } from './snapshot-read.js';
import { REF_SPAN } from './store.js';

const key = (p: SmtPosition) => `${p.depth}:${toHex(p.prefix)}`;

/**
 * Writes a state snapshot into an empty data directory as the state store's first version: each
 * verified subtree as it arrives (its entries into `state`, its nodes into `smt_nodes`), the split
 * nodes above them at the end, then the root in `smt_roots`. References are taken from 1 up through
 * the snapshot version's span: no earlier version exists in a restored store, and every later
 * version's references lie above them (see StateStore). The caller checks each subtree's hash
 * before it is written (the hash its parent names); `finish` checks the whole root again.
 */
export class SnapshotWriter {
  private next = 0;
  private readonly pieces = new Map<string, SmtSubtreeNode>();
  private readonly splits = new Map<string, readonly [Uint8Array, Uint8Array]>();
  private readonly s;
  /** entries written so far */
  entries = 0;

  constructor(
    private readonly db: SqlDb,
    private readonly version: number,
  ) {
    this.s = {
      putValue: db.prepare('INSERT INTO state (key, value) VALUES (?, ?)'),
      putNode: db.prepare('INSERT INTO smt_nodes (ref, node) VALUES (?, ?)'),
      putRoot: db.prepare('INSERT INTO smt_roots (version, root, ref) VALUES (?, ?, ?)'),
    };
  }

  private readonly allocate = (): number => {
    this.next++;
    if (this.next >= (this.version + 1) * REF_SPAN) throw new SalusError('OVERSIZE', `a snapshot at height ${this.version} has more state-tree nodes than its references can address`);
    return this.next;
  };

  /** Writes a subtree whose entries must rebuild to `expected` (BAD_SNAPSHOT, nothing written, otherwise). */
  addPiece(position: SmtPosition, entries: readonly SnapshotEntry[], expected: Uint8Array): void {
    this.addPieces([{ position, entries, expected }]);
  }

  /**
   * Writes several subtrees in one database transaction, after every one of them rebuilt to the
   * hash expected at its position: one that does not (BAD_SNAPSHOT) leaves nothing written.
   */
  addPieces(pieces: readonly { readonly position: SmtPosition; readonly entries: readonly SnapshotEntry[]; readonly expected: Uint8Array }[]): void {
    const built = pieces.map((p) => {
      const b = smtBuildSubtree(p.entries, p.position, this.allocate);
      if (!bytesEqual(b.hash, p.expected)) throw new SalusError('BAD_SNAPSHOT', `the subtree at depth ${p.position.depth} does not hash to the one its parent names`);
      return b;
    });
    this.db.transaction(() => {
      pieces.forEach((p, i) => {
        this.writeNodes(built[i]!.created);
        for (const e of p.entries) this.s.putValue.run(buf(e.key), buf(e.value));
      });
    })();
    pieces.forEach((p, i) => {
      const b = built[i]!;
      this.pieces.set(key(p.position), { hash: b.hash, leaf: b.leaf, ref: b.ref });
      this.entries += p.entries.length;
    });
  }

  /** Records a verified inner node at `position`, whose children arrive later. */
  addSplit(position: SmtPosition, children: readonly [Uint8Array, Uint8Array]): void {
    this.splits.set(key(position), children);
  }

  /** Builds and writes the nodes above the pieces; the root must be `root`. Returns its reference. */
  finish(root: Uint8Array): number {
    return this.db.transaction(() => {
      const created: { ref: number; node: SmtNode }[] = [];
      const at = (p: SmtPosition, hash: Uint8Array): SmtSubtreeNode => {
        if (bytesEqual(hash, ZERO_HASH)) return { hash: ZERO_HASH, leaf: false, ref: 0 };
        const piece = this.pieces.get(key(p));
        if (piece) return piece;
        const split = this.splits.get(key(p));
        if (!split) throw new SalusError('BAD_SNAPSHOT', `the snapshot lacks the subtree at depth ${p.depth}`);
        return smtInnerOf(at(smtChildPosition(p, 0), split[0]), at(smtChildPosition(p, 1), split[1]), this.allocate, created);
      };
      const top = at({ depth: 0, prefix: new Uint8Array(0) }, root);
      if (!bytesEqual(top.hash, root)) throw new SalusError('BAD_SNAPSHOT', 'the restored state does not hash to the snapshot\'s app hash');
      this.writeNodes(created);
      this.s.putRoot.run(this.version, buf(top.hash), top.ref);
      return top.ref;
    })();
  }

  private writeNodes(created: readonly { ref: number; node: SmtNode }[]): void {
    for (const c of created) this.s.putNode.run(c.ref, encodeNode(c.node));
  }
}
