import { describe, expect, it } from 'vitest';
import { encode } from '@salus/core';
import {
  type TendermintInput,
  type WireMessage,
  blockPart,
  codecLimits,
  decodeEvidence,
  decodeInput,
  decodeMessage,
  encodeEvidence,
  encodeInput,
  encodeMessage,
  verifyDuplicateVoteEvidence,
} from '../src/index.js';
import { CHAIN, Fixture, blockOf, ed, hashOf, ofKind, codeOf } from './helpers/fixture.js';

const fx = new Fixture({ n: 4, me: 0 });
const limits = { ...codecLimits(CHAIN), blockBytesMax: 1024, blockPartBytes: 256 };
const vote = fx.vote(1, 'precommit', 2, hashOf('A'));
const nilVote = fx.vote(2, 'prevote', 0, null);
const proposal = fx.proposal(3, hashOf('A'), 1);
const code = codeOf;

const big = new Uint8Array(600).map((_, i) => i % 251);
const part = { height: 1, round: 3, root: proposal.parts.root, part: blockPart(big, 256, 1) };

describe('message codec', () => {
  it('round-trips proposals (without their block), votes (nil included), block parts and part requests', () => {
    for (const m of [
      { kind: 'vote', vote },
      { kind: 'vote', vote: nilVote },
      { kind: 'proposal', proposal },
      { kind: 'blockPart', part },
      { kind: 'partRequest', request: { height: 1, round: 3, root: proposal.parts.root, indices: [0, 2] } },
    ] as WireMessage[]) {
      expect(decodeMessage(encodeMessage(CHAIN, m), limits)).toEqual(m);
    }
  });
  it('refuses part sets larger than a block may be, parts larger than a part, and bad proofs or indices', () => {
    const obj = { chainId: CHAIN, kind: 'proposal', height: 1, round: 3, polRound: 1, blockHash: proposal.blockHash, parts: { total: 4, root: proposal.parts.root }, proposer: proposal.proposer, signature: proposal.signature };
    expect(decodeMessage(encode(obj), limits)).toMatchObject({ kind: 'proposal' });
    expect(code(() => decodeMessage(encode({ ...obj, parts: { total: 5, root: proposal.parts.root } }), limits))).toBe('INVALID_FIELD'); // 1024 / 256 = 4 parts at most
    expect(code(() => decodeMessage(encode({ ...obj, parts: { total: 0, root: proposal.parts.root } }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, parts: { total: 1, root: new Uint8Array(31) } }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, parts: { total: 1, root: proposal.parts.root, extra: 1 } }), limits))).toBe('INVALID_FIELD');
    const p = { chainId: CHAIN, kind: 'blockPart', height: 1, round: 3, root: part.root, index: 1, bytes: part.part.bytes, proof: [...part.part.proof] };
    expect(code(() => decodeMessage(encode({ ...p, bytes: new Uint8Array(257) }), limits))).toBe('OVERSIZE');
    expect(code(() => decodeMessage(encode({ ...p, index: 4 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...p, proof: [new Uint8Array(33)] }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...p, proof: Array.from({ length: 21 }, () => new Uint8Array(32)) }), limits))).toBe('INVALID_FIELD');
    const r = { chainId: CHAIN, kind: 'partRequest', height: 1, round: 3, root: part.root, indices: [0] };
    expect(code(() => decodeMessage(encode({ ...r, indices: [4] }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...r, indices: Array.from({ length: 1025 }, () => 0) }), limits))).toBe('INVALID_FIELD');
  });
  it('refuses malformed, non-canonical, truncated and unknown-field encodings', () => {
    const good = encodeMessage(CHAIN, { kind: 'vote', vote });
    expect(code(() => decodeMessage(new Uint8Array([0xff, 0x00]), limits))).toBe('MALFORMED_ENCODING');
    expect(code(() => decodeMessage(good.subarray(0, good.length - 3), limits))).toBe('MALFORMED_ENCODING');
    const obj = { chainId: CHAIN, kind: 'vote', type: 'prevote', height: 1, round: 0, blockHash: null, validator: vote.validator, signature: vote.signature };
    expect(code(() => decodeMessage(encode({ ...obj, extra: 1 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, type: 'precommitt' }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, height: 0 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, round: -1 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, round: limits.roundMax + 1 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, blockHash: new Uint8Array(31) }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, signature: new Uint8Array(63) }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, validator: 'x' }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode([1, 2]), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...obj, kind: 'commit' }), limits))).toBe('INVALID_FIELD');
    // a non-canonical encoding of a valid message: map with a key order that is not sorted
    const swapped = new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]);
    expect(code(() => decodeMessage(swapped, limits))).toBe('MALFORMED_ENCODING');
  });
  it('refuses a proposal with a polRound not before its round, or with its block inside', () => {
    const p = { chainId: CHAIN, kind: 'proposal', height: 1, round: 2, polRound: 2, blockHash: proposal.blockHash, parts: { total: 1, root: proposal.parts.root }, proposer: proposal.proposer, signature: proposal.signature };
    expect(code(() => decodeMessage(encode(p), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...p, polRound: -2 }), limits))).toBe('INVALID_FIELD');
    expect(code(() => decodeMessage(encode({ ...p, polRound: 1, block: blockOf('A') }), limits))).toBe('INVALID_FIELD');
  });
  it('refuses oversize messages from their length', () => {
    expect(code(() => decodeMessage(new Uint8Array(8 * 1024 + 1024 + 1), limits))).toBe('OVERSIZE');
  });
  it('refuses a message for another chain', () => {
    const other = encodeMessage('other-chain', { kind: 'vote', vote });
    expect(code(() => decodeMessage(other, limits))).toBe('WRONG_CHAIN');
    expect(code(() => encodeMessage('Bad Chain!', { kind: 'vote', vote }))).toBe('INVALID_FIELD');
  });
  it('a message for another chain that slips through the envelope fails its signature', () => {
    const m = new Fixture({ n: 4, me: 0 });
    m.start();
    const other = { ...vote, round: 0, height: 1 }; // signed for round 2: a replay under other fields
    expect(ofKind(m.feed({ kind: 'vote', vote: other }), 'rejected')[0]!.reason).toBe('bad-signature');
  });
  it('wrong height is refused by the machine with a reason', () => {
    const m = new Fixture({ n: 4, me: 0 });
    m.start(5);
    expect(ofKind(m.feed({ kind: 'vote', vote: m.vote(1, 'prevote', 0, null, 4) }), 'rejected')[0]!.reason).toBe('old-height');
    expect(ofKind(m.feed({ kind: 'vote', vote: m.vote(1, 'prevote', 0, null, 6) }), 'rejected')[0]!.reason).toBe('future-height');
    expect(ofKind(m.feed({ kind: 'proposal', proposal: m.proposal(0, hashOf('X'), -1, 6), block: blockOf('X'), valid: true }), 'rejected')[0]!.reason).toBe('future-height');
  });
});

describe('WAL entry codec', () => {
  it('round-trips every input kind', () => {
    const inputs: TendermintInput[] = [
      { kind: 'newHeight', height: 3, validators: fx.validators },
      { kind: 'proposal', proposal, block: blockOf('A'), valid: false },
      { kind: 'vote', vote: nilVote },
      { kind: 'timeout', height: 3, round: 4, step: 'prevote' },
      { kind: 'value', height: 3, round: 0, block: blockOf('V'), blockHash: hashOf('V') },
    ];
    for (const i of inputs) expect(decodeInput(encodeInput(i))).toEqual(i);
  });
  it('refuses corrupt entries', () => {
    expect(code(() => decodeInput(encode({ kind: 'timeout', height: 3, round: 4, step: 'nap' })))).toBe('INVALID_FIELD');
    expect(code(() => decodeInput(encode({ kind: 'proposal', proposal: {}, block: blockOf('A'), valid: 1 })))).toBe('INVALID_FIELD');
    expect(code(() => decodeInput(encode({ kind: 'reboot' })))).toBe('INVALID_FIELD');
  });
});

describe('duplicate-vote evidence', () => {
  const a = fx.vote(1, 'prevote', 0, hashOf('A'));
  const b = fx.vote(1, 'prevote', 0, null);
  it('round-trips and verifies', () => {
    const ev = decodeEvidence(encodeEvidence(CHAIN, { voteA: a, voteB: b }), limits);
    expect(ev).toEqual({ voteA: a, voteB: b });
    expect(() => verifyDuplicateVoteEvidence(ed, CHAIN, ev, fx.validators)).not.toThrow();
  });
  it('refuses evidence that is no equivocation or is forged', () => {
    expect(code(() => verifyDuplicateVoteEvidence(ed, CHAIN, { voteA: a, voteB: a }, fx.validators))).toBe('INVALID_FIELD');
    expect(code(() => verifyDuplicateVoteEvidence(ed, CHAIN, { voteA: a, voteB: fx.vote(2, 'prevote', 0, null) }, fx.validators))).toBe('INVALID_FIELD');
    expect(code(() => verifyDuplicateVoteEvidence(ed, CHAIN, { voteA: a, voteB: fx.vote(1, 'prevote', 1, null) }, fx.validators))).toBe('INVALID_FIELD');
    expect(code(() => verifyDuplicateVoteEvidence(ed, CHAIN, { voteA: a, voteB: { ...b, signature: new Uint8Array(64) } }, fx.validators))).toBe('BAD_SIGNATURE');
    expect(code(() => verifyDuplicateVoteEvidence(ed, 'other', { voteA: a, voteB: b }, fx.validators))).toBe('BAD_SIGNATURE');
  });
});
