import { type Commit, type Ed25519, type Validator, SalusError, bytesEqual, verifyCommitSignatures } from '@salus/core';
import { proposalSignBytes, voteSignBytes } from './signbytes.js';
import type { DuplicateVoteEvidence, Proposal, Vote } from './types.js';

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

/** Checks DuplicateVoteEvidence as the ledger would before punishing: throws INVALID_FIELD or BAD_SIGNATURE. */
export function verifyDuplicateVoteEvidence(ed: Ed25519, chainId: string, ev: DuplicateVoteEvidence, validators: readonly Validator[]): void {
  const { voteA: a, voteB: b } = ev;
  if (!bytesEqual(a.validator, b.validator)) throw new SalusError('INVALID_FIELD', 'evidence votes are from different validators');
  if (a.type !== b.type || a.height !== b.height || a.round !== b.round) {
    throw new SalusError('INVALID_FIELD', 'evidence votes are for different heights, rounds or types');
  }
  if (sameHash(a.blockHash, b.blockHash)) throw new SalusError('INVALID_FIELD', 'evidence votes do not conflict');
  if (!validators.some((v) => bytesEqual(v.pubKey, a.validator))) throw new SalusError('INVALID_FIELD', 'evidence names no validator of the set');
  if (!verifyVoteSignature(ed, chainId, a) || !verifyVoteSignature(ed, chainId, b)) {
    throw new SalusError('BAD_SIGNATURE', 'an evidence vote signature does not verify');
  }
}
