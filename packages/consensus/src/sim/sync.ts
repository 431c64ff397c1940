import { type Commit, ZERO32, bytesEqual, decodeCommit, decodeHeader, verifyCommit } from '@salus/core';
import type { Packet } from './network.js';
import type { SimWorld } from './world.js';

/**
 * Block sync, the receiving side: a block a peer says is committed is taken only if it is the
 * next height, extends our chain, and carries a commit core's `verifyCommit` accepts for that
 * height's validator set — so a lying peer can delay a node, never mislead it.
 * Returns the commit, or null (with the reason) if the block is refused.
 */
export function checkSyncedBlock(
  w: SimWorld,
  last: { height: number; hash: Uint8Array | null },
  p: Extract<Packet, { kind: 'syncResponse' }>,
): { commit: Commit } | { refused: string } {
  if (p.height !== last.height + 1) return { refused: `height ${p.height}, expected ${last.height + 1}` };
  try {
    const header = decodeHeader(p.block);
    const commit = decodeCommit(p.commit);
    verifyCommit(w.ed, header, commit, w.validatorsAt(p.height));
    if (header.height !== p.height) return { refused: `header says height ${header.height}` };
    if (!bytesEqual(header.prevHash, last.hash ?? ZERO32)) return { refused: 'block does not extend this chain' };
    return { commit };
  } catch (e) {
    return { refused: (e as Error).message };
  }
}
