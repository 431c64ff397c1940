import { describe, expect, it } from 'vitest';
import { bytesEqual, precommitSignBytes } from '@salus/core';
import { verifyCommitForHash, voteSignBytes } from '../src/index.js';
import { CHAIN, Fixture, blockOf, ed, hashOf, makeKeys, notProposerOf, ofKind, ownVotes } from './helpers/fixture.js';

/** 4 validators of power 1: quorum is 3 votes, f+1 is 2. The node under test never proposes rounds 0-2 unless said. */
const make = (rounds = [0, 1, 2]) => new Fixture({ n: 4, me: (fx) => notProposerOf(fx, 1, rounds) });
const others = (fx: Fixture, k: number) => fx.others().slice(0, k);

describe('StartRound (lines 11-21)', () => {
  it('a non-proposer arms the propose timeout', () => {
    const fx = make();
    const eff = fx.start();
    expect(fx.m.status()).toMatchObject({ height: 1, round: 0, step: 'propose', isProposer: false });
    expect(ofKind(eff, 'scheduleTimeout')).toEqual([{ kind: 'scheduleTimeout', height: 1, round: 0, step: 'propose', ms: 3000 }]);
    expect(ofKind(eff, 'getValue')).toEqual([]);
  });

  it('the proposer asks for a value, proposes it and prevotes for it (line 22 on its own proposal)', () => {
    const fx = new Fixture({ n: 4, me: (f) => new Fixture({ n: 4, me: 0 }).proposerAt(1, 0) + 0 * f.sorted.length });
    const eff = fx.start();
    expect(ofKind(eff, 'getValue')).toEqual([{ kind: 'getValue', height: 1, round: 0 }]);
    const out = fx.feed({ kind: 'value', height: 1, round: 0, block: blockOf('A'), blockHash: hashOf('A') });
    const [p] = ofKind(out, 'broadcast');
    expect(p!.message.kind).toBe('proposal');
    expect(ownVotes(out)).toMatchObject([{ type: 'prevote', round: 0, blockHash: hashOf('A') }]);
    expect(fx.m.status().step).toBe('prevote');
    // a second value for the same round is not awaited
    expect(ofKind(fx.feed({ kind: 'value', height: 1, round: 0, block: blockOf('B'), blockHash: hashOf('B') }), 'rejected')[0]!.reason).toBe('stale');
  });
});

describe('line 22: proposal with polRound -1', () => {
  it('prevotes a valid value when not locked', () => {
    const fx = make();
    fx.start();
    expect(ownVotes(fx.propose(0, 'A'))).toMatchObject([{ type: 'prevote', blockHash: hashOf('A') }]);
    expect(fx.m.status().step).toBe('prevote');
  });
  it('prevotes nil for an invalid value', () => {
    const fx = make();
    fx.start();
    expect(ownVotes(fx.propose(0, 'A', { valid: false }))[0]!.blockHash).toBeNull();
  });
  it('ignores a proposal from anyone but the round proposer', () => {
    const fx = make();
    fx.start();
    const wrong = fx.others().find((i) => i !== fx.proposerAt(1, 0))!;
    const eff = fx.feed({ kind: 'proposal', proposal: fx.proposal(0, hashOf('A'), -1, 1, wrong), block: blockOf('A'), valid: true });
    expect(ofKind(eff, 'rejected')[0]!.reason).toBe('wrong-proposer');
    expect(fx.m.status().step).toBe('propose');
  });
});

describe('lines 36, 44, 34, 47 in one round', () => {
  it('line 36: a polka for the proposal locks and precommits it', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    const eff = fx.votes(others(fx, 2), 'prevote', 0, hashOf('A'));
    expect(ownVotes(eff)).toMatchObject([{ type: 'precommit', round: 0, blockHash: hashOf('A') }]);
    expect(fx.m.status()).toMatchObject({ step: 'precommit', lockedRound: 0, validRound: 0 });
    expect(bytesEqual(fx.m.status().lockedHash!, hashOf('A'))).toBe(true);
  });
  it('line 36 in step precommit only updates the valid value, not the lock', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' }); // not in effect: no 2f+1 yet, but step is prevote → precommit nil
    expect(fx.m.status().step).toBe('precommit');
    const eff = fx.votes(others(fx, 2), 'prevote', 0, hashOf('A'));
    expect(ownVotes(eff)).toEqual([]);
    expect(fx.m.status()).toMatchObject({ lockedRound: -1, validRound: 0 });
  });
  it('a polka without the proposal does nothing until the proposal arrives', () => {
    const fx = make();
    fx.start();
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' }); // prevote nil
    expect(ownVotes(fx.votes(others(fx, 3), 'prevote', 0, hashOf('A')))).toEqual([]);
    expect(ownVotes(fx.propose(0, 'A'))).toMatchObject([{ type: 'precommit', blockHash: hashOf('A') }]);
  });
  it('line 44: 2f+1 nil prevotes give a nil precommit', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    const eff = fx.votes(others(fx, 2), 'prevote', 0, null);
    expect(ownVotes(eff)).toEqual([]); // own A + 2 nil: no nil quorum yet
    const eff2 = fx.votes(others(fx, 3).slice(2), 'prevote', 0, null);
    expect(ownVotes(eff2)).toMatchObject([{ type: 'precommit', blockHash: null }]);
  });
  it('line 34: 2f+1 prevotes of any kind arm the prevote timeout, once', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    const eff = [...fx.votes(others(fx, 1), 'prevote', 0, hashOf('B')), ...fx.votes(others(fx, 2).slice(1), 'prevote', 0, null)];
    expect(ofKind(eff, 'scheduleTimeout')).toEqual([{ kind: 'scheduleTimeout', height: 1, round: 0, step: 'prevote', ms: 1000 }]);
    expect(ofKind(fx.votes(others(fx, 3).slice(2), 'prevote', 0, hashOf('C')), 'scheduleTimeout')).toEqual([]);
    // the timeout precommits nil
    expect(ownVotes(fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' }))).toMatchObject([{ type: 'precommit', blockHash: null }]);
  });
  it('line 47: 2f+1 precommits of any kind arm the precommit timeout, whose expiry starts the next round', () => {
    const fx = make();
    fx.start();
    const eff = [...fx.votes(others(fx, 2), 'precommit', 0, null), ...fx.votes(others(fx, 3).slice(2), 'precommit', 0, hashOf('B'))];
    expect(ofKind(eff, 'scheduleTimeout')).toEqual([{ kind: 'scheduleTimeout', height: 1, round: 0, step: 'precommit', ms: 1000 }]);
    const next = fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    expect(fx.m.status()).toMatchObject({ round: 1, step: 'propose' });
    expect(ofKind(next, 'scheduleTimeout')).toEqual([{ kind: 'scheduleTimeout', height: 1, round: 1, step: 'propose', ms: 3500 }]);
  });
});

describe('line 49: decide', () => {
  it('decides on 2f+1 precommits with a commit that verifies against core precommit sign bytes', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.votes(others(fx, 2), 'prevote', 0, hashOf('A'));
    const eff = fx.votes(others(fx, 2), 'precommit', 0, hashOf('A'));
    const [d] = ofKind(eff, 'decide');
    expect(d).toMatchObject({ height: 1, round: 0, block: blockOf('A') });
    expect(d!.commit.signatures).toHaveLength(3);
    expect(() => verifyCommitForHash(ed, CHAIN, d!.commit, fx.validators)).not.toThrow();
    for (const s of d!.commit.signatures) expect(ed.verify(s.validator, precommitSignBytes(CHAIN, 1, 0, hashOf('A')), s.signature)).toBe(true);
    expect(fx.m.status().step).toBe('commit');
    expect(ofKind(fx.votes(others(fx, 3).slice(2), 'precommit', 0, hashOf('A')), 'rejected')[0]!.reason).toBe('decided');
  });
  it('decides on a proposal of an earlier round while in a later round', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' });
    fx.votes(others(fx, 3), 'precommit', 0, null);
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    expect(fx.m.status().round).toBe(1);
    // precommits for A in round 0 turn up late (others saw a polka we missed)
    const other = fx.others();
    const fresh = new Fixture({ n: 4, me: fx.me });
    fresh.start();
    fresh.propose(0, 'A');
    fresh.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' }); // own precommit nil
    fresh.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' }); // stale: no 47 yet, ignored
    fresh.votes(other.slice(0, 2), 'precommit', 0, null);
    fresh.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    expect(fresh.m.status().round).toBe(1);
    const [d] = ofKind(fresh.votes([other[2]!], 'precommit', 0, hashOf('A')), 'decide');
    expect(d).toBeUndefined(); // only one precommit for A
    // a different fixture: three others precommit A in round 0 while we are in round 1
    const fx2 = new Fixture({ n: 4, me: fx.me });
    fx2.start();
    fx2.propose(0, 'A', { valid: true });
    fx2.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' });
    fx2.votes(fx2.others().slice(0, 2), 'precommit', 1, null); // f+1 in round 1: skip to round 1
    expect(fx2.m.status().round).toBe(1);
    const [d2] = ofKind(fx2.votes(fx2.others(), 'precommit', 0, hashOf('A')), 'decide');
    expect(d2).toMatchObject({ round: 0, blockHash: hashOf('A') });
  });
  it('does not decide an invalid value', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A', { valid: false });
    expect(ofKind(fx.votes(fx.others(), 'precommit', 0, hashOf('A')), 'decide')).toEqual([]);
  });
});

describe('line 55: round skip', () => {
  it('f+1 of the power in a higher round starts that round; f does not', () => {
    const fx = make();
    fx.start();
    fx.votes(others(fx, 1), 'prevote', 2, null);
    expect(fx.m.status().round).toBe(0);
    fx.votes(others(fx, 2).slice(1), 'precommit', 2, hashOf('X'));
    expect(fx.m.status()).toMatchObject({ round: 2, step: 'propose' });
  });
  it('a proposal counts as a message of its round', () => {
    const fx = make();
    fx.start();
    fx.propose(3, 'P');
    const voter = fx.others().find((i) => i !== fx.proposerAt(1, 3))!;
    fx.votes([voter], 'prevote', 3, null);
    expect(fx.m.status().round).toBe(3);
  });
});

describe('timeouts', () => {
  it('propose timeout prevotes nil; stale or wrong-step timeouts are ignored', () => {
    const fx = make();
    fx.start();
    expect(ownVotes(fx.feed({ kind: 'timeout', height: 1, round: 1, step: 'propose' }))).toEqual([]);
    expect(ownVotes(fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'prevote' }))).toEqual([]);
    expect(ownVotes(fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' }))).toMatchObject([{ type: 'prevote', blockHash: null }]);
    expect(ownVotes(fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' }))).toEqual([]);
  });
  it('grow linearly with the round', () => {
    const fx = new Fixture({ n: 4, me: 0, options: { timeoutProposeMs: 100, timeoutProposeDeltaMs: 10 } });
    fx.start();
    const ms: number[] = [];
    for (let r = 0; r < 5; r++) {
      const eff = fx.feed({ kind: 'timeout', height: 1, round: r, step: 'precommit' });
      ms.push(...ofKind(eff, 'scheduleTimeout').filter((e) => e.step === 'propose').map((e) => e.ms));
    }
    expect(ms).toEqual([110, 120, 130, 140, 150]);
  });
});

describe('2f+1 nil precommits', () => {
  it('end the round at once: no value can be decided in it any more', () => {
    const fx = make();
    fx.start();
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' }); // own prevote nil
    fx.votes(others(fx, 2), 'prevote', 0, null); // own precommit nil
    expect(fx.m.status()).toMatchObject({ round: 0, step: 'precommit' });
    const eff = fx.votes(others(fx, 1), 'precommit', 0, null);
    expect(fx.m.status()).toMatchObject({ round: 0 });
    const eff2 = fx.votes([others(fx, 2)[1]!], 'precommit', 0, null);
    expect(fx.m.status()).toMatchObject({ round: 1, step: 'propose' });
    expect(ofKind([...eff, ...eff2], 'scheduleTimeout').map((e) => `${e.step}@${e.round}`)).toEqual(['precommit@0', 'propose@1']);
  });
  it('2f+1 precommits that are not all nil still wait for the precommit timeout (line 47)', () => {
    const fx = make();
    fx.start();
    fx.propose(0, 'A');
    fx.votes(others(fx, 1), 'precommit', 0, hashOf('A'));
    fx.votes(others(fx, 3).slice(1), 'precommit', 0, null);
    expect(fx.m.status()).toMatchObject({ round: 0 });
  });
});

describe('locking and unlocking', () => {
  /** Locks the node on A in round 0 and moves it to round 1. */
  const lockedOnA = () => {
    const fx = make([0, 1, 2]);
    fx.start();
    fx.propose(0, 'A');
    fx.votes(others(fx, 2), 'prevote', 0, hashOf('A')); // lock A, precommit A
    fx.votes(others(fx, 2), 'precommit', 0, null);
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    expect(fx.m.status()).toMatchObject({ round: 1, lockedRound: 0 });
    return fx;
  };
  it('a locked node prevotes nil for another value with polRound -1 (line 22)', () => {
    const fx = lockedOnA();
    expect(ownVotes(fx.propose(1, 'B'))[0]!.blockHash).toBeNull();
  });
  it('a locked node prevotes its locked value again', () => {
    const fx = lockedOnA();
    expect(ownVotes(fx.propose(1, 'A'))[0]!.blockHash).toEqual(hashOf('A'));
  });
  it('unlocks through a polka for another value in a later round (line 36 relocks)', () => {
    const fx = lockedOnA();
    fx.propose(1, 'B'); // prevote nil, locked on A
    const eff = fx.votes(others(fx, 3), 'prevote', 1, hashOf('B'));
    expect(ownVotes(eff)).toMatchObject([{ type: 'precommit', round: 1, blockHash: hashOf('B') }]);
    expect(fx.m.status()).toMatchObject({ lockedRound: 1, validRound: 1 });
    expect(fx.m.status().lockedHash).toEqual(hashOf('B'));
  });
  it('line 28: a re-proposal with polRound ≥ lockedRound and its polka unlocks the prevote', () => {
    const fx = lockedOnA();
    // round 1: a polka for B that this node did not take part in, then on to round 2
    fx.feed({ kind: 'timeout', height: 1, round: 1, step: 'propose' });
    fx.votes(others(fx, 3), 'prevote', 1, hashOf('B'));
    fx.votes(others(fx, 3), 'precommit', 1, null);
    fx.feed({ kind: 'timeout', height: 1, round: 1, step: 'precommit' });
    expect(fx.m.status()).toMatchObject({ round: 2, lockedRound: 0 });
    expect(ownVotes(fx.propose(2, 'B', { polRound: 1 }))).toMatchObject([{ type: 'prevote', round: 2, blockHash: hashOf('B') }]);
  });
  it('line 28: polRound below the lock round and another value gives nil', () => {
    const fx = new Fixture({ n: 4, me: (f) => notProposerOf(f, 1, [0, 1, 2]) });
    fx.start();
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' });
    fx.votes(others(fx, 3), 'prevote', 0, hashOf('B')); // polka B in round 0 (no proposal seen)
    fx.votes(others(fx, 3), 'precommit', 0, null);
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    fx.propose(1, 'A');
    fx.votes(others(fx, 2), 'prevote', 1, hashOf('A')); // lock A in round 1
    expect(fx.m.status().lockedRound).toBe(1);
    fx.votes(others(fx, 3), 'precommit', 1, null);
    fx.feed({ kind: 'timeout', height: 1, round: 1, step: 'precommit' });
    expect(ownVotes(fx.propose(2, 'B', { polRound: 0 }))[0]!.blockHash).toBeNull();
  });
  it('line 28 waits for the polka of polRound', () => {
    const fx = make();
    fx.start();
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'propose' });
    fx.votes(others(fx, 3), 'precommit', 0, null);
    fx.feed({ kind: 'timeout', height: 1, round: 0, step: 'precommit' });
    expect(ownVotes(fx.propose(1, 'B', { polRound: 0 }))).toEqual([]);
    expect(ownVotes(fx.votes(others(fx, 3), 'prevote', 0, hashOf('B')))).toMatchObject([{ type: 'prevote', round: 1, blockHash: hashOf('B') }]);
  });
});

describe('evidence and admission', () => {
  it('a conflicting vote is evidence, reported once and never counted', () => {
    const fx = make();
    fx.start();
    const [a, b] = others(fx, 2);
    fx.votes([a!], 'prevote', 0, hashOf('A'));
    const eff = fx.votes([a!], 'prevote', 0, hashOf('B'));
    const [ev] = ofKind(eff, 'evidence');
    expect(ev!.evidence.voteA.blockHash).toEqual(hashOf('A'));
    expect(ev!.evidence.voteB.blockHash).toEqual(hashOf('B'));
    expect(ofKind(fx.votes([a!], 'prevote', 0, null), 'evidence')).toEqual([]);
    expect(fx.m.status().prevotes).toEqual({ count: 1, power: 1 });
    fx.votes([b!], 'prevote', 0, hashOf('A'));
    expect(fx.m.status().prevotes).toEqual({ count: 2, power: 2 });
  });
  it('copies are dropped silently; bad signatures, strangers and other heights are rejected with a reason', () => {
    const fx = make();
    fx.start();
    const [a] = others(fx, 1);
    const v = fx.vote(a!, 'prevote', 0, hashOf('A'));
    fx.feed({ kind: 'vote', vote: v });
    expect(fx.feed({ kind: 'vote', vote: v })).toEqual([]);
    const bad = { ...fx.vote(a!, 'precommit', 0, hashOf('A')), signature: new Uint8Array(64) };
    expect(ofKind(fx.feed({ kind: 'vote', vote: bad }), 'rejected')[0]!.reason).toBe('bad-signature');
    const [k] = makeKeys(1, 99);
    const body = { type: 'prevote' as const, height: 1, round: 0, blockHash: null };
    const strange = { ...body, validator: k!.pubKey, signature: ed.sign(k!.secretKey, voteSignBytes(CHAIN, body)) };
    expect(ofKind(fx.feed({ kind: 'vote', vote: strange }), 'rejected')[0]!.reason).toBe('unknown-validator');
    expect(ofKind(fx.feed({ kind: 'vote', vote: fx.vote(a!, 'prevote', 0, null, 2) }), 'rejected')[0]!.reason).toBe('future-height');
    const forged = { ...fx.vote(a!, 'prevote', 0, hashOf('B')), signature: v.signature };
    expect(ofKind(fx.feed({ kind: 'vote', vote: forged }), 'rejected')[0]!.reason).toBe('bad-signature'); // no evidence from a forgery
  });
  it('bounds the rounds one validator may open ahead', () => {
    const fx = make();
    fx.start();
    const [a] = others(fx, 1);
    fx.votes([a!], 'prevote', 5, null);
    fx.votes([a!], 'prevote', 6, null);
    expect(ofKind(fx.votes([a!], 'prevote', 7, null), 'rejected')[0]!.reason).toBe('round-too-far');
    expect(ofKind(fx.votes([a!], 'precommit', 6, null), 'rejected')).toEqual([]);
    expect(fx.feed({ kind: 'vote', vote: fx.vote(a!, 'prevote', 1, null) })).toEqual([]);
  });
  it('messages before the first height are refused', () => {
    const fx = make();
    expect(ofKind(fx.votes(others(fx, 1), 'prevote', 0, null), 'rejected')[0]!.reason).toBe('not-started');
  });
});
