import { SalusError, type SmtNode, type SmtNodeReader, type SmtPosition, ZERO_HASH, bytesEqual, smtBit } from '@salus/core';

/** One entry of a snapshot: a state key and its value. */
export interface SnapshotEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * A server's answer for one position of the tree at a snapshot's version: every entry below it
 * (when they fit the byte bound), or the two child hashes of the inner node there (when they do
 * not: the receiver then asks for the children).
 */
export type SnapshotPiece = { readonly entries: readonly SnapshotEntry[] } | { readonly split: readonly [Uint8Array, Uint8Array] };

/** Bytes an entry counts for against a chunk's bound (key, value and their framing). */
export function entryBytes(e: SnapshotEntry): number {
  return e.key.length + e.value.length + 8;
}

interface At {
  readonly hash: Uint8Array;
  readonly ref: number;
}

/**
 * Reads the pieces at `positions` of the tree whose root is `root` (a kept version of the state
 * store: the walk goes straight over its nodes, nothing is copied), in order, while they fit in
 * `bytesMax`: the first piece is always answered (a subtree too large is split), later ones only
 * while the bound holds. Returns fewer pieces than positions when the bound is reached. A subtree
 * is walked until it is known not to fit; once walks in this answer have read as much as the bound,
 * the remaining inner nodes are answered as splits without a walk, so one answer costs the server
 * a bounded amount of reading, however many large subtrees it names. A position the tree does not
 * have (asked by a confused or hostile peer) is BAD_SNAPSHOT.
 */
export function readSnapshotPieces(reader: SmtNodeReader, root: At, positions: readonly SmtPosition[], bytesMax: number): SnapshotPiece[] {
  const out: SnapshotPiece[] = [];
  let left = bytesMax;
  let walk = bytesMax;
  for (const p of positions) {
    const at = descend(reader, root, p);
    const node = load(reader, at);
    const entries: SnapshotEntry[] = [];
    const read = node.kind === 'inner' && walk <= 0 ? undefined : collect(reader, at, node, entries, left);
    if (read?.complete) {
      out.push({ entries });
      left -= read.bytes;
      walk -= read.bytes;
    } else if (node.kind === 'inner') {
      out.push({ split: [node.left, node.right] });
      left -= 72;
      walk -= read?.bytes ?? 0;
    } else {
      // a single entry larger than what is left: it goes first in an answer of its own
      if (out.length > 0) break;
      out.push({ entries: [{ key: node.key, value: node.value }] });
      left = 0;
    }
    if (left <= 0) break;
  }
  return out;
}

function load(reader: SmtNodeReader, at: At): SmtNode {
  const n = reader.getNode(at.hash, at.ref);
  if (!n) throw new SalusError('NOT_FOUND', 'the snapshot\'s state version is no longer kept');
  return n;
}

function descend(reader: SmtNodeReader, root: At, p: SmtPosition): At {
  let at = root;
  for (let d = 0; d < p.depth; d++) {
    if (bytesEqual(at.hash, ZERO_HASH)) throw new SalusError('BAD_SNAPSHOT', `the snapshot has no subtree at depth ${p.depth}`);
    const n = load(reader, at);
    if (n.kind !== 'inner') throw new SalusError('BAD_SNAPSHOT', `the snapshot has no subtree at depth ${p.depth}`);
    at = smtBit(p.prefix, d) === 0 ? { hash: n.left, ref: n.leftRef ?? 0 } : { hash: n.right, ref: n.rightRef ?? 0 };
  }
  if (bytesEqual(at.hash, ZERO_HASH)) throw new SalusError('BAD_SNAPSHOT', `the snapshot has no subtree at depth ${p.depth}`);
  return at;
}

/**
 * Appends the entries under `node` in path order while their bytes stay within `budget`; stops as
 * soon as they would not (complete: false). Returns the bytes read either way.
 */
function collect(reader: SmtNodeReader, at: At, node: SmtNode, out: SnapshotEntry[], budget: number): { bytes: number; complete: boolean } {
  let used = 0;
  const stack: { at: At; node: SmtNode | undefined }[] = [{ at, node }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (bytesEqual(top.at.hash, ZERO_HASH)) continue;
    const n = top.node ?? load(reader, top.at);
    if (n.kind === 'leaf') {
      const e = { key: n.key, value: n.value };
      used += entryBytes(e);
      if (used > budget) return { bytes: used, complete: false };
      out.push(e);
      continue;
    }
    // right pushed first: the left subtree (bit 0) comes out first, so entries are in path order
    stack.push({ at: { hash: n.right, ref: n.rightRef ?? 0 }, node: undefined });
    stack.push({ at: { hash: n.left, ref: n.leftRef ?? 0 }, node: undefined });
  }
  return { bytes: used, complete: true };
}
