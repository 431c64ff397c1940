import { type TendermintState, peekRound } from './state.js';
import type { ConsensusMessage, Proposal, Vote } from './types.js';
import { indexOf } from './validators.js';
import { sameHash, sameProposalBody } from './verify.js';
import { type VoteSet, allVotes, hasVoteFor, hashKey, votesFor } from './voteset.js';

/**
 * What a node re-broadcasts periodically so that, once the network delivers again, every correct
 * node eventually holds the messages it needs from correct nodes (the paper's gossip assumption):
 *  - the proposals and all votes of the current round;
 *  - the precommits of the previous round: a peer still there needs them to time out of it (line
 *    47) or, as f+1 senders of a higher round, to skip (line 55) — without them a node that moved
 *    on alone and a majority left behind wait for each other forever;
 *  - the prevotes of the valid and locked rounds (the polka a re-proposal with polRound needs,
 *    line 28) and the valid round's proposal;
 *  - once decided, the decisive proposal and precommits (so peers still at this height decide).
 * Conflicting votes held (evidence) are relayed too. Read-only.
 */
export function gossipMessages(s: TendermintState): ConsensusMessage[] {
  if (s.step === 'idle') return [];
  const out: ConsensusMessage[] = [];
  const votes = (set: VoteSet): void => {
    for (const v of allVotes(set)) out.push({ kind: 'vote', vote: v });
  };
  const rounds = new Set<number>([s.round]);
  if (s.round > 0) rounds.add(s.round - 1);
  if (s.validRound >= 0) rounds.add(s.validRound);
  if (s.lockedRound >= 0) rounds.add(s.lockedRound);
  if (s.decision !== null) {
    const rs = peekRound(s, s.decision.round);
    const key = hashKey(s.decision.blockHash);
    for (const r of Object.keys(s.rounds)) {
      const p = s.rounds[r]!.proposals.find((x) => hashKey(x.proposal.blockHash) === key);
      if (p) {
        out.push({ kind: 'proposal', proposal: p.proposal, block: p.block });
        break;
      }
    }
    if (rs) for (const v of votesFor(rs.precommits, s.decision.blockHash)) out.push({ kind: 'vote', vote: v });
    return out;
  }
  for (const r of [...rounds].sort((a, b) => a - b)) {
    const rs = peekRound(s, r);
    if (rs === undefined) continue;
    if (r === s.round) for (const p of rs.proposals) out.push({ kind: 'proposal', proposal: p.proposal, block: p.block });
    if (r === s.validRound) {
      const p = rs.proposals.find((x) => hashKey(x.proposal.blockHash) === hashKey(s.validHash));
      if (p && r !== s.round) out.push({ kind: 'proposal', proposal: p.proposal, block: p.block });
    }
    if (r !== s.round - 1 || r === s.validRound || r === s.lockedRound) votes(rs.prevotes);
    if (r >= s.round - 1) votes(rs.precommits);
  }
  return out;
}

/** A proposal (with or without its block) or a vote, as `holds` is asked about it. */
export type HeldMessage = { readonly kind: 'proposal'; readonly proposal: Proposal } | { readonly kind: 'vote'; readonly vote: Vote };

/**
 * Whether the machine already holds this exact message (so a driver can skip WAL and step for gossip
 * copies, and need not gather a proposal's parts). A second signed body for a block already held
 * counts as held once its evidence was reported: its copies tell nothing new.
 */
export function holdsMessage(s: TendermintState, msg: HeldMessage): boolean {
  const height = msg.kind === 'proposal' ? msg.proposal.height : msg.vote.height;
  if (s.step === 'idle' || height !== s.height) return false;
  if (msg.kind === 'proposal') {
    const p = msg.proposal;
    const held = peekRound(s, p.round)?.proposals ?? [];
    if (held.some((x) => sameProposalBody(x.proposal, p))) return true;
    return s.reported.includes(`${indexOf(s.validators, p.proposer)}/${p.round}/proposal`) && held.some((x) => sameHash(x.proposal.blockHash, p.blockHash));
  }
  const { vote } = msg;
  const rs = peekRound(s, vote.round);
  const index = indexOf(s.validators, vote.validator);
  if (rs === undefined || index < 0) return false;
  return hasVoteFor(vote.type === 'prevote' ? rs.prevotes : rs.precommits, index, vote.blockHash);
}
