import { describe, expect, it } from 'vitest';
import { encode } from '@salus/core';
import { type DuplicateProposalEvidence, decodeEvidence, encodeEvidence, offenceOf, verifyDuplicateProposalEvidence, verifyEvidence } from '../src/index.js';
import { CHAIN, Fixture, blockOf, ed, hashOf, makeKeys, notProposerOf, ofKind, codeOf } from './helpers/fixture.js';

const fx = new Fixture({ n: 4, me: 0 });
const limits = { chainId: CHAIN, roundMax: 1_000_000 };
const code = codeOf;
const by = fx.proposerAt(5, 2);
const a = fx.proposal(2, hashOf('A'), -1, 5, by, blockOf('A'));
const b = fx.proposal(2, hashOf('B'), -1, 5, by, blockOf('B'));
const check = (ev: DuplicateProposalEvidence, validators = fx.validators, chain = CHAIN) => code(() => verifyDuplicateProposalEvidence(ed, chain, ev, validators));

describe('duplicate-proposal evidence: the pure check', () => {
  it('accepts two proposals signed by one validator for one height and round, with different blocks', () => {
    expect(check({ proposalA: a, proposalB: b })).toBe('none');
    expect(offenceOf({ proposalA: a, proposalB: b })).toEqual({ validator: a.proposer, height: 5, round: 2, type: 'proposal' });
  });
  it('any difference in what is signed is equivocation: the polRound, or the part set alone', () => {
    expect(check({ proposalA: a, proposalB: fx.proposal(2, hashOf('A'), 1, 5, by, blockOf('A')) })).toBe('none');
    expect(check({ proposalA: a, proposalB: fx.proposal(2, hashOf('A'), -1, 5, by, blockOf('A-other-bytes')) })).toBe('none');
  });
  it('refuses a forged signature', () => {
    expect(check({ proposalA: a, proposalB: { ...b, signature: new Uint8Array(64) } })).toBe('BAD_SIGNATURE');
    expect(check({ proposalA: { ...a, signature: b.signature }, proposalB: b })).toBe('BAD_SIGNATURE');
    expect(check({ proposalA: a, proposalB: b }, fx.validators, 'another-chain')).toBe('BAD_SIGNATURE');
  });
  it('refuses the same proposal twice (a copy is no equivocation)', () => {
    expect(check({ proposalA: a, proposalB: a })).toBe('INVALID_FIELD');
    expect(check({ proposalA: a, proposalB: { ...a } })).toBe('INVALID_FIELD');
  });
  it('refuses proposals of different heights, rounds or signers', () => {
    expect(check({ proposalA: a, proposalB: fx.proposal(2, hashOf('B'), -1, 6, by, blockOf('B')) })).toBe('INVALID_FIELD');
    expect(check({ proposalA: a, proposalB: fx.proposal(3, hashOf('B'), -1, 5, by, blockOf('B')) })).toBe('INVALID_FIELD');
    expect(check({ proposalA: a, proposalB: fx.proposal(2, hashOf('B'), -1, 5, (by + 1) % 4, blockOf('B')) })).toBe('INVALID_FIELD');
  });
  it('refuses a signer that is not a validator of the set', () => {
    const strangers = makeKeys(4, 9).map((k) => ({ pubKey: k.pubKey, power: 1 }));
    expect(check({ proposalA: a, proposalB: b }, strangers)).toBe('INVALID_FIELD');
  });
});

describe('duplicate-proposal evidence: the codec', () => {
  it('round-trips, and verifyEvidence checks either kind', () => {
    const ev = decodeEvidence(encodeEvidence(CHAIN, { proposalA: a, proposalB: b }), limits);
    expect(ev).toEqual({ proposalA: a, proposalB: b });
    expect(() => verifyEvidence(ed, CHAIN, ev, fx.validators)).not.toThrow();
    const votes = { voteA: fx.vote(1, 'prevote', 0, hashOf('A')), voteB: fx.vote(1, 'prevote', 0, null) };
    expect(decodeEvidence(encodeEvidence(CHAIN, votes), limits)).toEqual(votes);
    expect(code(() => verifyEvidence(ed, CHAIN, { proposalA: a, proposalB: a }, fx.validators))).toBe('INVALID_FIELD');
  });
  it('refuses unknown kinds, mixed fields, another chain and oversize encodings', () => {
    const bytes = encodeEvidence(CHAIN, { proposalA: a, proposalB: b });
    expect(code(() => decodeEvidence(bytes, { ...limits, chainId: 'other-chain' }))).toBe('WRONG_CHAIN');
    expect(code(() => decodeEvidence(encode({ chainId: CHAIN, kind: 'duplicateBlock', proposalA: 1, proposalB: 2 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeEvidence(encode({ chainId: CHAIN, kind: 'duplicateProposal', voteA: 1, voteB: 2 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeEvidence(new Uint8Array(4096), limits))).toBe('OVERSIZE');
  });
});

describe('the machine catches a proposer signing two proposals for one round', () => {
  const make = () => new Fixture({ n: 4, me: (f) => notProposerOf(f, 1, [0, 1, 2]) });
  it('reports evidence once, keeps both blocks, and ignores copies', () => {
    const m = make();
    m.start();
    const p = m.proposerAt(1, 0);
    const pa = m.proposal(0, hashOf('A'), -1, 1, p, blockOf('A'));
    const pb = m.proposal(0, hashOf('B'), -1, 1, p, blockOf('B'));
    expect(ofKind(m.feed({ kind: 'proposal', proposal: pa, block: blockOf('A'), valid: true }), 'evidence')).toEqual([]);
    const [e] = ofKind(m.feed({ kind: 'proposal', proposal: pb, block: blockOf('B'), valid: true }), 'evidence');
    expect(e!.evidence).toEqual({ proposalA: pa, proposalB: pb });
    expect(() => verifyEvidence(ed, CHAIN, e!.evidence, m.validators)).not.toThrow();
    expect(m.m.status().proposals).toBe(2);
    expect(ofKind(m.feed({ kind: 'proposal', proposal: pb, block: blockOf('B'), valid: true }), 'evidence')).toEqual([]);
    const pc = m.proposal(0, hashOf('C'), -1, 1, p, blockOf('C'));
    expect(ofKind(m.feed({ kind: 'proposal', proposal: pc, block: blockOf('C'), valid: true }), 'evidence')).toEqual([]); // once per round
    expect(m.m.holds({ kind: 'proposal', proposal: pb })).toBe(true);
  });
  it('the same block under another signed body is evidence only: not kept, held from then on', () => {
    const m = make();
    m.start();
    const p = m.proposerAt(1, 0);
    const pa = m.proposal(0, hashOf('A'), -1, 1, p, blockOf('A'));
    const other = m.proposal(0, hashOf('A'), -1, 1, p, blockOf('A, other parts'));
    m.feed({ kind: 'proposal', proposal: pa, block: blockOf('A'), valid: true });
    expect(m.m.holds({ kind: 'proposal', proposal: other })).toBe(false);
    const [e] = ofKind(m.feed({ kind: 'proposal', proposal: other, block: blockOf('A'), valid: true }), 'evidence');
    expect(e!.evidence).toEqual({ proposalA: pa, proposalB: other });
    expect(m.m.status().proposals).toBe(1);
    expect(m.m.holds({ kind: 'proposal', proposal: other })).toBe(true);
    // a forged second proposal is refused for its signature, and accuses no one
    const forged = { ...m.proposal(0, hashOf('Z'), -1, 1, p, blockOf('Z')), signature: new Uint8Array(64) };
    const eff = m.feed({ kind: 'proposal', proposal: forged, block: blockOf('Z'), valid: true });
    expect(ofKind(eff, 'evidence')).toEqual([]);
    expect(ofKind(eff, 'rejected')[0]!.reason).toBe('bad-signature');
  });
});
