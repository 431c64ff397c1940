import { type Ed25519, type Validator, SalusError, bytesEqual, checkChainId, decode, encode, v } from '@salus/core';
import { checkChain } from './codec.js';
import { PROPOSAL_KEYS, VOTE_KEYS, proposalFields, readProposal, readVote, voteFields } from './fields.js';
import type { ConsensusEvidence, DuplicateProposalEvidence, DuplicateVoteEvidence } from './types.js';
import { sameHash, sameProposalBody, verifyProposalSignature, verifyVoteSignature } from './verify.js';

/**
 * Evidence of double signing, as the ledger receives and checks it (CometBFT's evidence, plus the
 * proposal kind it lacks): two conflicting votes of one validator for the same height, round and
 * type; or two different proposals signed by one validator for the same height and round. Both
 * are canonical CBOR with the chain id, and are checked again by every validator when the
 * evidence is executed: the evidence, not whoever submits it, is what counts.
 */

/** What a piece of evidence accuses: a validator, and the height, round and step where it signed twice. */
export interface Offence {
  readonly validator: Uint8Array;
  readonly height: number;
  readonly round: number;
  readonly type: 'prevote' | 'precommit' | 'proposal';
}

export function isDuplicateProposal(ev: ConsensusEvidence): ev is DuplicateProposalEvidence {
  return 'proposalA' in ev;
}

export function offenceOf(ev: ConsensusEvidence): Offence {
  if (isDuplicateProposal(ev)) {
    const p = ev.proposalA;
    return { validator: p.proposer, height: p.height, round: p.round, type: 'proposal' };
  }
  const x = ev.voteA;
  return { validator: x.validator, height: x.height, round: x.round, type: x.type };
}

/** The bound on encoded evidence: two proposals or two votes with their envelope. */
const EVIDENCE_BYTES_MAX = 2048;

export function encodeEvidence(chainId: string, ev: ConsensusEvidence): Uint8Array {
  checkChainId(chainId);
  if (isDuplicateProposal(ev)) return encode({ chainId, kind: 'duplicateProposal', proposalA: proposalFields(ev.proposalA), proposalB: proposalFields(ev.proposalB) });
  return encode({ chainId, kind: 'duplicateVote', voteA: voteFields(ev.voteA), voteB: voteFields(ev.voteB) });
}

/** Decodes evidence (shape only); check it with `verifyEvidence`. */
export function decodeEvidence(bytes: Uint8Array, limits: { readonly chainId: string; readonly roundMax: number }): ConsensusEvidence {
  const o = v.record(decode(bytes, EVIDENCE_BYTES_MAX), 'evidence');
  checkChain(o.chainId, limits.chainId);
  const kind = v.oneOf(o.kind, 'evidence.kind', ['duplicateVote', 'duplicateProposal'] as const);
  if (kind === 'duplicateProposal') {
    v.onlyKeys(o, ['chainId', 'kind', 'proposalA', 'proposalB'], 'evidence');
    const [a, b] = (['proposalA', 'proposalB'] as const).map((k) => {
      const r = v.record(o[k], `evidence.${k}`);
      v.onlyKeys(r, PROPOSAL_KEYS, `evidence.${k}`);
      return readProposal(r, `evidence.${k}`, limits);
    });
    return { proposalA: a!, proposalB: b! };
  }
  v.onlyKeys(o, ['chainId', 'kind', 'voteA', 'voteB'], 'evidence');
  const a = v.record(o.voteA, 'evidence.voteA');
  const b = v.record(o.voteB, 'evidence.voteB');
  v.onlyKeys(a, VOTE_KEYS, 'evidence.voteA');
  v.onlyKeys(b, VOTE_KEYS, 'evidence.voteB');
  return { voteA: readVote(a, 'evidence.voteA', limits), voteB: readVote(b, 'evidence.voteB', limits) };
}

function member(validators: readonly Validator[], key: Uint8Array): void {
  if (!validators.some((x) => bytesEqual(x.pubKey, key))) throw new SalusError('INVALID_FIELD', 'evidence names no validator of the set');
}

/** Checks DuplicateVoteEvidence as the ledger would before punishing: throws INVALID_FIELD or BAD_SIGNATURE. */
export function verifyDuplicateVoteEvidence(ed: Ed25519, chainId: string, ev: DuplicateVoteEvidence, validators: readonly Validator[]): void {
  const { voteA: a, voteB: b } = ev;
  if (!bytesEqual(a.validator, b.validator)) throw new SalusError('INVALID_FIELD', 'evidence votes are from different validators');
  if (a.type !== b.type || a.height !== b.height || a.round !== b.round) {
    throw new SalusError('INVALID_FIELD', 'evidence votes are for different heights, rounds or types');
  }
  if (sameHash(a.blockHash, b.blockHash)) throw new SalusError('INVALID_FIELD', 'evidence votes do not conflict');
  member(validators, a.validator);
  if (!verifyVoteSignature(ed, chainId, a) || !verifyVoteSignature(ed, chainId, b)) {
    throw new SalusError('BAD_SIGNATURE', 'an evidence vote signature does not verify');
  }
}

/**
 * Checks DuplicateProposalEvidence: one signer, one height and round, two different signed bodies
 * (block hash, polRound or part set), both signatures good, and the signer a validator of the set.
 * Whether it was that round's proposer is not asked: an honest signer never signs two proposals for
 * one height and round, its turn or not (the guard refuses), so two are misbehaviour either way, and
 * the check needs no more than the set's membership (as duplicate-vote evidence does).
 */
export function verifyDuplicateProposalEvidence(ed: Ed25519, chainId: string, ev: DuplicateProposalEvidence, validators: readonly Validator[]): void {
  const { proposalA: a, proposalB: b } = ev;
  if (!bytesEqual(a.proposer, b.proposer)) throw new SalusError('INVALID_FIELD', 'evidence proposals are from different validators');
  if (a.height !== b.height || a.round !== b.round) throw new SalusError('INVALID_FIELD', 'evidence proposals are for different heights or rounds');
  if (sameProposalBody(a, b)) throw new SalusError('INVALID_FIELD', 'evidence proposals do not conflict');
  member(validators, a.proposer);
  if (!verifyProposalSignature(ed, chainId, a) || !verifyProposalSignature(ed, chainId, b)) {
    throw new SalusError('BAD_SIGNATURE', 'an evidence proposal signature does not verify');
  }
}

/** Checks either kind of evidence: throws INVALID_FIELD or BAD_SIGNATURE unless it proves double signing by a validator of the set. */
export function verifyEvidence(ed: Ed25519, chainId: string, ev: ConsensusEvidence, validators: readonly Validator[]): void {
  if (isDuplicateProposal(ev)) verifyDuplicateProposalEvidence(ed, chainId, ev, validators);
  else verifyDuplicateVoteEvidence(ed, chainId, ev, validators);
}
