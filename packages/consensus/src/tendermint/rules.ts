import { type MachineContext } from './context.js';
import { castVote, decide, scheduleTimeout, startRound } from './actions.js';
import { type ProposalRecord, type RoundState, peekRound, storedRounds } from './state.js';
import { isOneThird, isQuorum } from './validators.js';
import { sameHash } from './verify.js';
import { NIL, hashKey, powerFor, quorumKey } from './voteset.js';

/**
 * The upon-rules of Algorithm 1, evaluated after every input until none fires. Each rule's guard
 * is checked against the stored messages, so the order in which messages arrived does not matter
 * (rules fire as soon as their condition holds, as the paper's "upon" means).
 */
export function evaluate(ctx: MachineContext): void {
  const { s } = ctx;
  // Each pass either fires a rule that advances (step, round or a first-time flag) or stops; the
  // bound is a guard against a bug looping forever, never reached in a correct run.
  for (let pass = 0; pass < 10_000; pass++) {
    if (s.step === 'idle' || s.step === 'commit') return;
    if (ruleDecide(ctx)) return; // line 49
    if (ruleSkipRound(ctx)) continue; // line 55
    const rs = peekRound(s, s.round);
    if (rs === undefined) return;
    if (s.step === 'propose' && ruleProposal(ctx, rs)) continue; // lines 22, 28
    if ((s.step === 'prevote' || s.step === 'precommit') && rulePolka(ctx, rs)) continue; // line 36
    if (s.step === 'prevote' && isQuorum(powerFor(rs.prevotes, null), s.validators.totalPower)) {
      castVote(ctx, 'precommit', null); // line 44
      s.step = 'precommit';
      continue;
    }
    if (s.step === 'prevote' && !s.fired.prevoteWait && isQuorum(rs.prevotes.power, s.validators.totalPower)) {
      s.fired.prevoteWait = true; // line 34
      scheduleTimeout(ctx, 'prevote');
    }
    if (!s.fired.precommitWait && isQuorum(rs.precommits.power, s.validators.totalPower)) {
      s.fired.precommitWait = true; // line 47
      scheduleTimeout(ctx, 'precommit');
    }
    if (isQuorum(powerFor(rs.precommits, null), s.validators.totalPower)) {
      // Lines 47 and 65 with a precommit timeout of zero when the 2f+1 precommits are nil: no value
      // can be decided in this round any more (a value's 2f+1 would meet the nil 2f+1 in f+1 of the
      // power, so an honest validator would have precommitted twice), so waiting is only waiting.
      // A round whose proposer is down then costs its propose timeout and message delays, no more.
      startRound(ctx, s.round + 1);
      continue;
    }
    return;
  }
}

/** A valid block with this hash from any stored proposal of the height. */
function findBlock(ctx: MachineContext, key: string): ProposalRecord | undefined {
  for (const r of storedRounds(ctx.s)) {
    const found = ctx.s.rounds[r]!.proposals.find((p) => p.valid && hashKey(p.proposal.blockHash) === key);
    if (found) return found;
  }
  return undefined;
}

/**
 * Line 49: 2f+1 precommits for id(v) in any round r, and the value v, valid: decide. The value may
 * come from the proposal of any round (the hash binds the bytes); the commit is round r's.
 */
function ruleDecide(ctx: MachineContext): boolean {
  const { s } = ctx;
  for (const r of storedRounds(s)) {
    const key = quorumKey(s.rounds[r]!.precommits, s.validators.totalPower);
    if (key === null || key === NIL) continue;
    const rec = findBlock(ctx, key);
    if (rec === undefined) continue;
    decide(ctx, r, rec.proposal.blockHash, rec.block);
    return true;
  }
  return false;
}

/** Line 55: f+1 of the power sent messages for a higher round: go to the highest such round. */
function ruleSkipRound(ctx: MachineContext): boolean {
  const { s } = ctx;
  let target = -1;
  for (const r of storedRounds(s)) {
    if (r > s.round && isOneThird(s.rounds[r]!.senderPower, s.validators.totalPower)) target = r;
  }
  if (target < 0) return false;
  startRound(ctx, target);
  return true;
}

/**
 * Lines 22 and 28, step propose: the first of the round's proposals (arrival order) whose guard
 * holds decides the prevote. Line 22: polRound -1. Line 28: polRound vr < round with 2f+1
 * prevotes for the value in round vr.
 */
function ruleProposal(ctx: MachineContext, rs: RoundState): boolean {
  const { s } = ctx;
  for (const p of rs.proposals) {
    const { blockHash, polRound: vr } = p.proposal;
    let acceptable: boolean;
    if (vr === -1) {
      acceptable = p.valid && (s.lockedRound === -1 || sameHash(s.lockedHash, blockHash));
    } else {
      const pol = peekRound(s, vr);
      if (pol === undefined || !isQuorum(powerFor(pol.prevotes, blockHash), s.validators.totalPower)) continue;
      acceptable = p.valid && (s.lockedRound <= vr || sameHash(s.lockedHash, blockHash));
    }
    castVote(ctx, 'prevote', acceptable ? blockHash : null);
    s.step = 'prevote';
    return true;
  }
  return false;
}

/**
 * Line 36, step ≥ prevote, first time in the round: the round's proposal v, valid, with 2f+1
 * prevotes for id(v): lock on v and precommit it (if still in prevote), and remember v as valid.
 */
function rulePolka(ctx: MachineContext, rs: RoundState): boolean {
  const { s } = ctx;
  if (s.fired.polka) return false;
  const key = quorumKey(rs.prevotes, s.validators.totalPower);
  if (key === null || key === NIL) return false;
  const p = rs.proposals.find((x) => x.valid && hashKey(x.proposal.blockHash) === key);
  if (p === undefined) return false;
  s.fired.polka = true;
  const { blockHash } = p.proposal;
  if (s.step === 'prevote') {
    s.lockedHash = blockHash;
    s.lockedRound = s.round;
    castVote(ctx, 'precommit', blockHash);
    s.step = 'precommit';
  }
  s.validHash = blockHash;
  s.validRound = s.round;
  s.validBlock = p.block;
  return true;
}
