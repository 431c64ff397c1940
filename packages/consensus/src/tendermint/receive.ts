import { isBytes, toHex } from '@salus/core';
import { type MachineContext, reject } from './context.js';
import { proposerIndex } from './proposer.js';
import { type RoundState, markSender, peekRound, roundState } from './state.js';
import type { Proposal, Vote } from './types.js';
import { indexOf, isOneThird } from './validators.js';
import { sameHash, sameProposalBody, verifyProposalSignature, verifyVoteSignature } from './verify.js';
import { addToVoteSet, extraCount, hasVoteFor, hashKey, powerFor } from './voteset.js';

/**
 * Admission of proposals and votes from the network. Cheap checks come first (height, membership,
 * round window, duplicates) so that gossip's many copies cost no signature verification; then the
 * signature; then the message is stored. Rules are evaluated by the caller.
 */

function checkHeight(ctx: MachineContext, height: number, round: number): boolean {
  const { s } = ctx;
  if (s.step === 'idle') return reject(ctx, 'not-started', 'no height started yet', height, round);
  if (height < s.height) return reject(ctx, 'old-height', `message for height ${height}, at ${s.height}`, height, round);
  if (height > s.height) return reject(ctx, 'future-height', `message for height ${height}, at ${s.height}`, height, round);
  if (s.step === 'commit') return reject(ctx, 'decided', `height ${height} is decided`, height, round);
  if (!Number.isSafeInteger(round) || round < 0 || round > ctx.opts.roundMax) return reject(ctx, 'malformed', `round ${round} out of range`, height, round);
  return true;
}

/**
 * Rounds up to round+1 are open to all; beyond, each validator may open at most catchupRoundsMax
 * rounds (enough for rule 55 to carry a lagging node forward, too few to fill memory).
 */
function roundAllowed(ctx: MachineContext, index: number, round: number): boolean {
  const { s, opts } = ctx;
  if (round <= s.round + 1) return true;
  if (peekRound(s, round)?.senders[index]) return true;
  let opened = 0;
  for (const k of Object.keys(s.rounds)) {
    const r = Number(k);
    if (r > s.round + 1 && s.rounds[k]!.senders[index]) opened++;
  }
  return opened < opts.catchupRoundsMax;
}

/** Returns true if the state changed. */
export function receiveVote(ctx: MachineContext, vote: Vote): boolean {
  const { s } = ctx;
  if (!checkHeight(ctx, vote.height, vote.round)) return false;
  if (vote.blockHash !== null && !isBytes(vote.blockHash, 32)) return reject(ctx, 'malformed', 'vote block hash is not 32 bytes', vote.height, vote.round);
  const index = indexOf(s.validators, vote.validator);
  if (index < 0) return reject(ctx, 'unknown-validator', `vote from ${toHex(vote.validator).slice(0, 16)}…, not a validator`, vote.height, vote.round);
  const held = peekRound(s, vote.round)?.[vote.type === 'prevote' ? 'prevotes' : 'precommits'];
  if (held && hasVoteFor(held, index, vote.blockHash)) return false; // a copy
  const existing = held?.votes[index] ?? null;
  if (existing === null && !roundAllowed(ctx, index, vote.round)) {
    return reject(ctx, 'round-too-far', `validator ${index} opened too many rounds ahead of ${s.round}`, vote.height, vote.round);
  }
  if (!verifyVoteSignature(ctx.ed, ctx.chainId, vote)) {
    return reject(ctx, 'bad-signature', `${vote.type} of validator ${index} does not verify`, vote.height, vote.round);
  }
  const rs = roundState(s, vote.round);
  const set = vote.type === 'prevote' ? rs.prevotes : rs.precommits;
  const power = s.validators.validators[index]!.power;
  if (existing !== null) {
    const key = `${index}/${vote.round}/${vote.type}`;
    if (!s.reported.includes(key)) {
      s.reported.push(key);
      ctx.out.push({ kind: 'evidence', evidence: { voteA: existing, voteB: vote } });
    }
    // Counted for its own value only, and only if that value can matter: nil, or a block some
    // proposal of this height names (a vote for an unknown hash comes back with gossip).
    if (extraCount(set, index) >= ctx.opts.conflictingVotesMax || !(vote.blockHash === null || knownBlock(ctx, vote.blockHash))) return false;
    addToVoteSet(set, index, vote, power);
    return true;
  }
  addToVoteSet(set, index, vote, power);
  markSender(s, rs, index);
  return true;
}

function knownBlock(ctx: MachineContext, blockHash: Uint8Array): boolean {
  const key = hashKey(blockHash);
  return Object.values(ctx.s.rounds).some((rs) => rs.proposals.some((p) => hashKey(p.proposal.blockHash) === key));
}

/** A proposal beyond the per-round bound is still kept if more than 1/3 of the power voted for it. */
function hasSupport(ctx: MachineContext, rs: RoundState, blockHash: Uint8Array): boolean {
  const total = ctx.s.validators.totalPower;
  return isOneThird(powerFor(rs.prevotes, blockHash), total) || isOneThird(powerFor(rs.precommits, blockHash), total);
}

export function receiveProposal(ctx: MachineContext, proposal: Proposal, block: Uint8Array, valid: boolean): boolean {
  const { s, opts } = ctx;
  const { height, round } = proposal;
  if (!checkHeight(ctx, height, round)) return false;
  if (!isBytes(proposal.blockHash, 32)) return reject(ctx, 'malformed', 'proposal block hash is not 32 bytes', height, round);
  if (block.length > opts.blockBytesMax) return reject(ctx, 'oversize', `block of ${block.length} bytes exceeds ${opts.blockBytesMax}`, height, round);
  const index = proposerIndex(s.validators, height, round);
  if (indexOf(s.validators, proposal.proposer) !== index) {
    return reject(ctx, 'wrong-proposer', `proposal for round ${round} not from its proposer`, height, round);
  }
  if (proposal.polRound < -1 || proposal.polRound >= round) return reject(ctx, 'malformed', `polRound ${proposal.polRound} is not before round ${round}`, height, round);
  const rs = peekRound(s, round);
  const sameBlock = rs?.proposals.find((p) => sameHash(p.proposal.blockHash, proposal.blockHash));
  if (sameBlock && sameProposalBody(sameBlock.proposal, proposal)) return false; // a copy
  const key = `${index}/${round}/proposal`;
  if (sameBlock && s.reported.includes(key)) return false; // another body for a block held, already reported
  if (!rs?.senders[index] && !roundAllowed(ctx, index, round)) {
    return reject(ctx, 'round-too-far', `proposer opened too many rounds ahead of ${s.round}`, height, round);
  }
  if (!sameBlock && rs && rs.proposals.length >= opts.proposalsPerRoundMax && !hasSupport(ctx, rs, proposal.blockHash)) {
    return reject(ctx, 'too-many-proposals', `round ${round} already holds ${rs.proposals.length} proposals`, height, round);
  }
  if (!verifyProposalSignature(ctx.ed, ctx.chainId, proposal)) return reject(ctx, 'bad-signature', `proposal for round ${round} does not verify`, height, round);
  // A second signed proposal of the round's proposer for this height and round: it equivocated.
  // Reported once per round, with the first one held; both bodies are signed, so the ledger can check.
  const first = rs?.proposals[0];
  if (first && !s.reported.includes(key)) {
    s.reported.push(key);
    ctx.out.push({ kind: 'evidence', evidence: { proposalA: first.proposal, proposalB: proposal } });
  }
  // The same block under another signed body changes nothing the rules read: evidence only.
  if (sameBlock) return false;
  const target = roundState(s, round);
  target.proposals.push({ proposal, block, valid });
  markSender(s, target, index);
  return true;
}
