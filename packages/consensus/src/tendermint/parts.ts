import { bytesEqual, inclusionPath, isBytes, leafHash, rootFromLeafHashes, verifyInclusion } from '@salus/core';

/**
 * Block parts (CometBFT's PartSet). A proposed block is cut into parts of `partBytes` (the last one
 * shorter), and the proposal signs a `PartSetHeader`: the number of parts and the RFC 9162 Merkle
 * root over them. Each part travels with its inclusion proof, so a node checks every part against
 * the signed root as it arrives — from the proposer or from any peer that holds it — and a bad part
 * is pinned on the peer that sent it. The block hash still binds the bytes: parts only decide how
 * they travel. `partBytes` is a network-wide constant (`blockPartBytes`), as CometBFT's is.
 *
 * Hashing the parts is a whole block through SHA-256: core's `sha256`, which a node process backs
 * with OpenSSL's (`installSha256`); a block is split and hashed once per node that holds it.
 */
export interface PartSetHeader {
  readonly total: number;
  readonly root: Uint8Array;
}

/** One part of a block, with its inclusion proof (the audit path of RFC 9162 §2.1.3). */
export interface BlockPart {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** A part on the wire: which proposal's block (by the set's root), and where the sender is (height, round). */
export interface PartMessage {
  readonly height: number;
  readonly round: number;
  readonly root: Uint8Array;
  readonly part: BlockPart;
}

/** "Send me these parts of the set with this root, if you hold them": any peer may answer. */
export interface PartRequest {
  readonly height: number;
  readonly round: number;
  readonly root: Uint8Array;
  readonly indices: readonly number[];
}

/** Indices asked for in one request. */
export const PART_REQUEST_INDICES_MAX = 1024;

/** The most parts any decoder accepts in a header (the wire codec bounds it further by blockBytesMax). */
export const PARTS_TOTAL_MAX = 1 << 20;

/** An inclusion path is at most log2(PARTS_TOTAL_MAX) hashes long. */
export const PART_PROOF_HASHES_MAX = 20;

/** The number of parts a block of `blockBytesMax` may have at most. */
export function partsMax(blockBytesMax: number, partBytes: number): number {
  return Math.max(1, Math.ceil(blockBytesMax / partBytes));
}

export function partCount(blockBytes: number, partBytes: number): number {
  return Math.max(1, Math.ceil(blockBytes / partBytes));
}

interface Split {
  readonly header: PartSetHeader;
  readonly leaves: readonly Uint8Array[];
}

/**
 * Splits are memoised per block object and part size: the machine signs the header of the block it
 * proposes, and the driver then sends the parts of that same block, so it is hashed once.
 */
const splits = new WeakMap<Uint8Array, Map<number, Split>>();

function split(block: Uint8Array, partBytes: number): Split {
  let byBlock = splits.get(block);
  const known = byBlock?.get(partBytes);
  if (known) return known;
  const total = partCount(block.length, partBytes);
  const leaves = Array.from({ length: total }, (_, i) => leafHash(block.subarray(i * partBytes, (i + 1) * partBytes)));
  const s: Split = { header: { total, root: rootFromLeafHashes(leaves) }, leaves };
  if (!byBlock) splits.set(block, (byBlock = new Map()));
  byBlock.set(partBytes, s);
  return s;
}

export function partSetHeader(block: Uint8Array, partBytes: number): PartSetHeader {
  return split(block, partBytes).header;
}

export function blockPart(block: Uint8Array, partBytes: number, index: number): BlockPart {
  const s = split(block, partBytes);
  return { index, bytes: block.subarray(index * partBytes, (index + 1) * partBytes), proof: inclusionPath(s.leaves, index) };
}

export function splitBlock(block: Uint8Array, partBytes: number): { header: PartSetHeader; parts: BlockPart[] } {
  const s = split(block, partBytes);
  return { header: s.header, parts: Array.from({ length: s.header.total }, (_, i) => blockPart(block, partBytes, i)) };
}

export function samePartSetHeader(a: PartSetHeader, b: PartSetHeader): boolean {
  return a.total === b.total && bytesEqual(a.root, b.root);
}

/** Whether a header can describe a block of at most `blockBytesMax` (checked before collecting its parts). */
export function plausibleHeader(h: PartSetHeader, partBytes: number, blockBytesMax: number): boolean {
  return Number.isSafeInteger(h.total) && h.total >= 1 && h.total <= partsMax(blockBytesMax, partBytes) && isBytes(h.root, 32);
}

/**
 * A part belongs to the set named by `header`: every part but the last is exactly `partBytes`
 * long, the last 1 to `partBytes` (or empty for an empty block), and its proof leads to the root.
 */
export function verifyPart(header: PartSetHeader, part: BlockPart, partBytes: number): boolean {
  const { index, bytes } = part;
  if (!Number.isSafeInteger(index) || index < 0 || index >= header.total) return false;
  const last = index === header.total - 1;
  if (last ? bytes.length > partBytes || (bytes.length === 0 && header.total > 1) : bytes.length !== partBytes) return false;
  return verifyInclusion(leafHash(bytes), { leafIndex: index, treeSize: header.total, path: part.proof }, header.root);
}

/**
 * The parts of one block as they arrive: each checked against the header before it is kept. Plain
 * data apart from the bytes; `assemble` concatenates them once all are in.
 */
export class PartSet {
  private readonly parts: (BlockPart | undefined)[];
  private count = 0;
  private bytes = 0;

  constructor(
    readonly header: PartSetHeader,
    private readonly partBytes: number,
  ) {
    this.parts = new Array<BlockPart | undefined>(header.total);
  }

  /** A complete set from the block itself (this node's proposal, or a block it already holds): its parts are not checked again. */
  static of(block: Uint8Array, partBytes: number): PartSet {
    const { header, parts } = splitBlock(block, partBytes);
    const set = new PartSet(header, partBytes);
    for (const p of parts) set.keep(p);
    return set;
  }

  add(part: BlockPart): 'added' | 'duplicate' | 'invalid' {
    if (!verifyPart(this.header, part, this.partBytes)) return 'invalid';
    if (this.parts[part.index] !== undefined) return 'duplicate';
    this.keep(part);
    return 'added';
  }

  private keep(part: BlockPart): void {
    this.parts[part.index] = part;
    this.count++;
    this.bytes += part.bytes.length;
  }

  get complete(): boolean {
    return this.count === this.header.total;
  }

  get received(): number {
    return this.count;
  }

  get receivedBytes(): number {
    return this.bytes;
  }

  part(index: number): BlockPart | undefined {
    return this.parts[index];
  }

  /** Indices not yet received, in order, at most `max`. */
  missing(max: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.parts.length && out.length < max; i++) if (this.parts[i] === undefined) out.push(i);
    return out;
  }

  /** The block, once complete. */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let off = 0;
    for (const p of this.parts) {
      out.set(p!.bytes, off);
      off += p!.bytes.length;
    }
    return out;
  }
}
