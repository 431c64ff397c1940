import { type Canonical, signBytes } from '@salus/core';
import type { PartSetHeader } from './parts.js';
import type { Proposal, Vote, VoteType } from './types.js';

/**
 * The bytes a validator signs. A vote is `signBytes('vote', chainId, {type, height, round,
 * blockHash})`, blockHash null for nil — so a precommit for a block is exactly core's
 * `precommitSignBytes` and a commit assembled from precommits verifies with core's `verifyCommit`.
 */
export function voteBody(type: VoteType, height: number, round: number, blockHash: Uint8Array | null): Canonical {
  return { type, height, round, blockHash };
}

export function proposalBody(height: number, round: number, polRound: number, blockHash: Uint8Array, parts: PartSetHeader): Canonical {
  return { height, round, polRound, blockHash, parts: { total: parts.total, root: parts.root } };
}

export function voteSignBytes(chainId: string, v: Pick<Vote, 'type' | 'height' | 'round' | 'blockHash'>): Uint8Array {
  return signBytes('vote', chainId, voteBody(v.type, v.height, v.round, v.blockHash));
}

/** A proposal signs `{height, round, polRound, blockHash, parts: {total, root}}`. */
export function proposalSignBytes(chainId: string, p: Pick<Proposal, 'height' | 'round' | 'polRound' | 'blockHash' | 'parts'>): Uint8Array {
  return signBytes('proposal', chainId, proposalBody(p.height, p.round, p.polRound, p.blockHash, p.parts));
}
