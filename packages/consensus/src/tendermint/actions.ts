import type { Commit, CommitSig } from '@salus/core';
import { type MachineContext } from './context.js';
import { timeoutMs } from './options.js';
import { partSetHeader } from './parts.js';
import { proposerIndex, proposerOf } from './proposer.js';
import { markSender, roundState } from './state.js';
import type { TimeoutStep, Vote, VoteType } from './types.js';
import { addToVoteSet, hashKey, votesFor } from './voteset.js';

/** The paper's actions: StartRound, broadcast of own proposal and votes, decide, timers. */

/** Arms a timeout of the current round: the configured one, or for the propose step the pacer's (adaptive) one. */
export function scheduleTimeout(ctx: MachineContext, step: TimeoutStep): void {
  const { s, pacer } = ctx;
  const ms = step === 'propose' && pacer ? pacer.proposeTimeoutMs(s.height, s.round, proposerOf(s.validators, s.height, s.round)) : timeoutMs(ctx.opts, step, s.round);
  ctx.out.push({ kind: 'scheduleTimeout', height: s.height, round: s.round, step, ms });
}

/** StartRound(round), Algorithm 1 lines 11-21. The caller evaluates the upon-rules afterwards. */
export function startRound(ctx: MachineContext, round: number): void {
  const { s } = ctx;
  s.round = round;
  s.step = 'propose';
  s.fired = { prevoteWait: false, precommitWait: false, polka: false };
  s.awaitingValue = false;
  roundState(s, round);
  // Every node, the proposer too, arms the propose timeout: a proposer whose application never
  // answers getValue then prevotes nil like everyone else instead of stalling the round.
  scheduleTimeout(ctx, 'propose');
  if (s.selfIndex < 0 || proposerIndex(s.validators, s.height, round) !== s.selfIndex) return;
  if (s.validHash !== null && s.validBlock !== null) {
    propose(ctx, s.validBlock, s.validHash, s.validRound);
  } else {
    s.awaitingValue = true;
    ctx.out.push({ kind: 'getValue', height: s.height, round });
  }
}

/** Signs and broadcasts this node's proposal for the current round, and keeps it as received. */
export function propose(ctx: MachineContext, block: Uint8Array, blockHash: Uint8Array, polRound: number): void {
  const { s, signer } = ctx;
  s.awaitingValue = false;
  // The block travels in parts; the proposal signs their header, so each part is checked on arrival.
  const parts = partSetHeader(block, ctx.opts.blockPartBytes);
  const res = signer.sign({ kind: 'proposal', chainId: ctx.chainId, height: s.height, round: s.round, polRound, blockHash, parts });
  if (!res.ok) {
    ctx.out.push({ kind: 'signRefused', height: s.height, round: s.round, what: 'proposal', reason: res.reason });
    return;
  }
  const proposal = { height: s.height, round: s.round, polRound, blockHash, parts, proposer: signer.publicKey, signature: res.signature };
  const rs = roundState(s, s.round);
  if (!rs.proposals.some((p) => hashKey(p.proposal.blockHash) === hashKey(blockHash))) {
    rs.proposals.push({ proposal, block, valid: true });
    markSender(s, rs, s.selfIndex);
  }
  ctx.out.push({ kind: 'broadcast', message: { kind: 'proposal', proposal, block } });
}

/** Signs, counts and broadcasts this node's vote in the current round (if it is a validator and the signer agrees). */
export function castVote(ctx: MachineContext, type: VoteType, blockHash: Uint8Array | null): void {
  const { s, signer } = ctx;
  if (s.selfIndex < 0) return;
  const res = signer.sign({ kind: 'vote', chainId: ctx.chainId, type, height: s.height, round: s.round, blockHash });
  if (!res.ok) {
    ctx.out.push({ kind: 'signRefused', height: s.height, round: s.round, what: type, reason: res.reason });
    return;
  }
  const vote: Vote = { type, height: s.height, round: s.round, blockHash, validator: signer.publicKey, signature: res.signature };
  const rs = roundState(s, s.round);
  addToVoteSet(type === 'prevote' ? rs.prevotes : rs.precommits, s.selfIndex, vote, s.validators.validators[s.selfIndex]!.power);
  markSender(s, rs, s.selfIndex);
  ctx.out.push({ kind: 'broadcast', message: { kind: 'vote', vote } });
}

/** Line 49's action: the decision, with a commit made of the round's precommits for the block. */
export function decide(ctx: MachineContext, round: number, blockHash: Uint8Array, block: Uint8Array): void {
  const { s } = ctx;
  const signatures: CommitSig[] = votesFor(roundState(s, round).precommits, blockHash).map((v) => ({ validator: v.validator, signature: v.signature }));
  const commit: Commit = { height: s.height, round, blockHash, signatures };
  s.decision = { round, blockHash };
  s.step = 'commit';
  ctx.out.push({ kind: 'decide', height: s.height, round, block, blockHash, commit });
}
