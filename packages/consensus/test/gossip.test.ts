import { describe, expect, it } from 'vitest';
import { type ConsensusMessage, FutureBuffer } from '../src/index.js';
import { Fixture, blockOf, hashOf, notProposerOf, ofKind, ownVotes } from './helpers/fixture.js';

const make = () => new Fixture({ n: 4, me: (f) => notProposerOf(f, 1, [0, 1, 2]) });
const describeMsg = (m: ConsensusMessage) => (m.kind === 'proposal' ? `proposal r${m.proposal.round}` : `${m.vote.type} r${m.vote.round}`);

describe('equivocation cannot hide a polka', () => {
  it('a conflicting vote counts for its own (known) value, never twice in any-value tallies', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A'); // own prevote A
    const [o1, z] = fx.others();
    fx.votes([o1!], 'prevote', 0, hashOf('A'));
    fx.votes([z!], 'prevote', 0, null); // z told us nil first
    expect(fx.m.status().prevotes).toEqual({ count: 3, power: 3 });
    const eff = fx.votes([z!], 'prevote', 0, hashOf('A')); // and A to the others, relayed to us
    expect(ofKind(eff, 'evidence')).toHaveLength(1);
    expect(ownVotes(eff)).toMatchObject([{ type: 'precommit', blockHash: hashOf('A') }]);
    expect(fx.m.status().prevotes).toEqual({ count: 3, power: 3 });
  });
  it('a conflicting vote for a block no proposal names is evidence only', () => {
    const fx = make();
    fx.start();
    const [o1, o2, z] = fx.others();
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' }); // own prevote nil
    fx.votes([z!], 'prevote', 0, null);
    expect(ofKind(fx.votes([z!], 'prevote', 0, hashOf('nowhere')), 'evidence')).toHaveLength(1);
    fx.votes([o1!, o2!], 'prevote', 0, hashOf('nowhere'));
    fx.propose(0, 'nowhere'); // now the value is known, but z's second vote was not kept: 2 of 4, no polka
    expect(fx.m.status().lockedRound).toBe(-1);
    fx.votes([z!], 'prevote', 0, hashOf('nowhere')); // the relayed copy arrives again and counts
    expect(fx.m.status().lockedRound).toBe(0);
  });
});

describe('no validator counts twice for one value', () => {
  it('its own vote coming back (gossip echo, or a restart feeding the signer record) and then re-signed counts once', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A'); // own prevote A
    const mine = fx.vote(fx.me, 'precommit', 0, hashOf('A'));
    fx.feed({ kind: 'vote', vote: mine }); // our own precommit, signed before a crash, fed back
    const [o1, o2] = fx.others();
    const eff = fx.votes([o1!, o2!], 'prevote', 0, hashOf('A')); // polka: the machine precommits A itself (re-signed)
    expect(ownVotes(eff)).toMatchObject([{ type: 'precommit', blockHash: hashOf('A') }]);
    expect(fx.m.status().precommits).toEqual({ count: 1, power: 1 });
    expect(ofKind(fx.votes([o1!], 'precommit', 0, hashOf('A')), 'decide')).toEqual([]); // 2 of 4 is no commit
    const [d] = ofKind(fx.votes([o2!], 'precommit', 0, hashOf('A')), 'decide');
    expect(d!.commit.signatures).toHaveLength(3);
  });
});

describe('gossip', () => {
  it('re-sends the current round and the previous round precommits, and skips copies', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.votes(fx.others().slice(0, 2), 'prevote', 0, null);
    fx.votes(fx.others(), 'precommit', 0, null);
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    fx.propose(1, 'B');
    const kinds = fx.m.gossip().map(describeMsg);
    expect(kinds.filter((k) => k === 'precommit r0')).toHaveLength(3);
    expect(kinds).toContain('proposal r1');
    expect(kinds).toContain('prevote r1');
    expect(kinds).not.toContain('prevote r0');
    for (const m of fx.m.gossip()) expect(fx.m.holds(m)).toBe(true);
    expect(fx.m.holds({ kind: 'vote', vote: fx.vote(fx.others()[0]!, 'prevote', 1, hashOf('B')) })).toBe(false);
  });
  it('once decided, re-sends the decisive proposal and precommits', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.votes(fx.others().slice(0, 2), 'prevote', 0, hashOf('A'));
    fx.votes(fx.others().slice(0, 2), 'precommit', 0, hashOf('A'));
    expect(fx.m.status().step).toBe('commit');
    expect(fx.m.gossip().map(describeMsg)).toEqual(['proposal r0', 'precommit r0', 'precommit r0', 'precommit r0']);
  });
});

describe('FutureBuffer', () => {
  it('keeps only next-height messages, up to its bound, and hands them back once', () => {
    const fx = make();
    const b = new FutureBuffer(2);
    const v = (h: number) => ({ kind: 'vote', vote: fx.vote(1, 'prevote', 0, null, h) }) as const;
    expect(b.offer(v(3), 1)).toBe(false);
    expect(b.offer(v(2), 1)).toBe(true);
    expect(b.offer({ kind: 'proposal', proposal: fx.proposal(0, hashOf('X'), -1, 2), block: blockOf('X') }, 1)).toBe(true);
    expect(b.offer(v(2), 1)).toBe(false);
    expect(b.take(2)).toHaveLength(2);
    expect(b.size).toBe(0);
  });
});
