import { type Commit, type Ed25519, type Validator, bytesEqual, verifyCommitSignatures } from '@salus/core';
import { proposalSignBytes, voteSignBytes } from './signbytes.js';
import { samePartSetHeader } from './parts.js';
import type { Proposal, Vote } from './types.js';

export function verifyVoteSignature(ed: Ed25519, chainId: string, vote: Vote): boolean {
  return ed.verify(vote.validator, voteSignBytes(chainId, vote), vote.signature);
}

export function verifyProposalSignature(ed: Ed25519, chainId: string, proposal: Proposal): boolean {
  return ed.verify(proposal.proposer, proposalSignBytes(chainId, proposal), proposal.signature);
}

export function sameHash(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return bytesEqual(a, b);
}

/**
 * A commit for an opaque block hash (block sync, when the driver has no header at hand): the same
 * checks as core's `verifyCommit`, over the same precommit sign bytes. Throws BAD_COMMIT.
 */
export function verifyCommitForHash(ed: Ed25519, chainId: string, commit: Commit, validators: readonly Validator[]): void {
  verifyCommitSignatures(ed, chainId, commit, validators);
}

/** The same signed proposal body (height, round and proposer aside): a copy, not a second proposal. */
export function sameProposalBody(a: Proposal, b: Proposal): boolean {
  return a.polRound === b.polRound && bytesEqual(a.blockHash, b.blockHash) && samePartSetHeader(a.parts, b.parts);
}
