import { toHex } from '@salus/core';
import type { Vote } from './types.js';
import { isQuorum } from './validators.js';

/** The key under which nil votes are tallied. */
export const NIL = 'nil';

export function hashKey(h: Uint8Array | null): string {
  return h === null ? NIL : toHex(h);
}

/**
 * The votes of one type in one round of one height, with power tallied per value.
 *
 * A validator's first vote is its vote: it counts in the "any value" tallies (`power`, `count`:
 * rules 34, 47, 55) and in its value's tally. A valid second vote for another value is
 * equivocation — evidence — and is kept in `extra`, counted in its own value's tally only (each
 * validator at most once per value) and never in the "any" tallies. Counting it there is what the
 * paper does (it counts messages per value, and a Byzantine process may send each peer a
 * different one) and what CometBFT does for blocks a peer claims +2/3 for: without it a node that
 * heard the equivocator's other vote first could never see the polka its peers saw, and the
 * height could stall. Safety is unaffected: two quorums still intersect in more than a third of
 * the power, so at least one honest validator would have to vote twice.
 */
export interface VoteSet {
  /** first vote of each validator, by index */
  readonly votes: (Vote | null)[];
  /** conflicting later votes (bounded per validator by the caller) */
  readonly extra: { readonly index: number; readonly vote: Vote }[];
  /** hash key (hex, or NIL) → power */
  readonly byHash: Record<string, number>;
  /** power of first votes, whatever their value */
  power: number;
  count: number;
}

export function createVoteSet(n: number): VoteSet {
  return { votes: new Array<Vote | null>(n).fill(null), extra: [], byHash: {}, power: 0, count: 0 };
}

/** Whether validator `index` already has a vote for this value in the set. */
export function hasVoteFor(set: VoteSet, index: number, blockHash: Uint8Array | null): boolean {
  const key = hashKey(blockHash);
  const first = set.votes[index];
  if (first === null || first === undefined) return false;
  return hashKey(first.blockHash) === key || set.extra.some((e) => e.index === index && hashKey(e.vote.blockHash) === key);
}

export function extraCount(set: VoteSet, index: number): number {
  return set.extra.reduce((n, e) => n + (e.index === index ? 1 : 0), 0);
}

/**
 * Adds a vote the caller has checked (signature, membership). Idempotent per (validator, value):
 * a validator never counts twice for one value, whichever way its vote comes back (gossip, a
 * replay re-signing it, a restart feeding the signer's record) — returns false then.
 */
export function addToVoteSet(set: VoteSet, index: number, vote: Vote, power: number): boolean {
  if (hasVoteFor(set, index, vote.blockHash)) return false;
  const k = hashKey(vote.blockHash);
  if (set.votes[index] === null) {
    set.votes[index] = vote;
    set.power += power;
    set.count += 1;
  } else {
    set.extra.push({ index, vote });
  }
  set.byHash[k] = (set.byHash[k] ?? 0) + power;
  return true;
}

/** All votes held, first votes then conflicting ones. */
export function allVotes(set: VoteSet): Vote[] {
  const out: Vote[] = [];
  for (const v of set.votes) if (v !== null) out.push(v);
  for (const e of set.extra) out.push(e.vote);
  return out;
}

/** The votes for one value, at most one per validator, in validator order (a commit's signatures). */
export function votesFor(set: VoteSet, blockHash: Uint8Array | null): Vote[] {
  const key = hashKey(blockHash);
  const out: Vote[] = [];
  set.votes.forEach((v, i) => {
    if (v === null) return;
    if (hashKey(v.blockHash) === key) out.push(v);
    else {
      const e = set.extra.find((x) => x.index === i && hashKey(x.vote.blockHash) === key);
      if (e) out.push(e.vote);
    }
  });
  return out;
}

/** The value with more than 2/3 of the power, or null; `NIL` may be returned for nil. */
export function quorumKey(set: VoteSet, total: number): string | null {
  for (const k of Object.keys(set.byHash)) {
    if (isQuorum(set.byHash[k]!, total)) return k;
  }
  return null;
}

export function powerFor(set: VoteSet, blockHash: Uint8Array | null): number {
  return set.byHash[hashKey(blockHash)] ?? 0;
}
