import { describe, expect, it } from 'vitest';
import { sha256 } from '@salus/core';
import { type ConsensusMessage, type PartMessage, PartPool, PartSet, partSetHeader, splitBlock, verifyPart } from '../src/index.js';
import { Fixture, hashOf } from './helpers/fixture.js';

const block = (n: number) => new Uint8Array(n).map((_, i) => (i * 7 + 3) % 256);

describe('block parts', () => {
  it('split into parts of partBytes (the last shorter), each verifying against the root; reassembled exactly', () => {
    for (const [size, partBytes, total] of [
      [1, 64, 1],
      [64, 64, 1],
      [65, 64, 2],
      [1000, 64, 16],
      [1000, 100, 10],
      [0, 64, 1],
    ] as const) {
      const b = block(size);
      const { header, parts } = splitBlock(b, partBytes);
      expect(header.total).toBe(total);
      expect(partSetHeader(b, partBytes)).toEqual(header);
      for (const p of parts) expect(verifyPart(header, p, partBytes)).toBe(true);
      const set = new PartSet(header, partBytes);
      for (const p of [...parts].reverse()) expect(set.add(p)).toBe('added');
      expect(set.complete).toBe(true);
      expect(set.assemble()).toEqual(b);
    }
  });

  it('a part with a flipped byte, another index, another size or a proof of another block fails', () => {
    const b = block(1000);
    const { header, parts } = splitBlock(b, 64);
    const p = parts[5]!;
    const flipped = p.bytes.slice();
    flipped[3]! ^= 1;
    expect(verifyPart(header, { ...p, bytes: flipped }, 64)).toBe(false);
    expect(verifyPart(header, { ...p, index: 6 }, 64)).toBe(false);
    expect(verifyPart(header, { ...p, index: 16 }, 64)).toBe(false);
    expect(verifyPart(header, { ...p, bytes: p.bytes.subarray(0, 63) }, 64)).toBe(false);
    expect(verifyPart(header, { ...p, proof: splitBlock(block(999), 64).parts[5]!.proof }, 64)).toBe(false);
    expect(verifyPart(header, { ...p, proof: [] }, 64)).toBe(false);
    // a shorter last part is fine, a longer one is not
    expect(verifyPart(header, parts[15]!, 64)).toBe(true);
    expect(parts[15]!.bytes.length).toBe(1000 - 15 * 64);
    const set = new PartSet(header, 64);
    expect(set.add({ ...p, bytes: flipped })).toBe('invalid');
    expect(set.add(p)).toBe('added');
    expect(set.add(p)).toBe('duplicate');
    expect(set.missing(3)).toEqual([0, 1, 2]);
  });
});

describe('PartPool', () => {
  const fx = new Fixture({ n: 4, me: 0, options: { blockPartBytes: 64 } });
  const opts = { partBytes: 64, blockBytesMax: 4096, setsMax: 8, setsPerRoundMax: 2, orphanBytesMax: 1024 };
  const proposalOf = (b: Uint8Array, round = 0) => fx.proposal(round, sha256(b), -1, 1, fx.proposerAt(1, round), b);
  const yes = () => true;

  it('sends a proposal then its parts; a peer gathers them in any order, parts before the proposal included', () => {
    const b = block(300);
    const out = new PartPool<string>(opts).full({ kind: 'proposal', proposal: proposalOf(b), block: b });
    expect(out.parts).toHaveLength(5);
    const pool = new PartPool<string>(opts);
    expect(pool.onPart(out.parts[4]!, 'p', 1).outcome).toBe('orphan');
    expect(pool.onProposal(out.proposal, 'p', 2, yes)).toEqual([]);
    for (const m of out.parts.slice(1, 4)) expect(pool.onPart(m, 'p', 3)).toEqual({ outcome: 'added', complete: [] });
    expect(pool.gathering).toBe(true);
    const { complete } = pool.onPart(out.parts[0]!, 'q', 4);
    expect(complete).toHaveLength(1);
    expect((complete[0] as Extract<ConsensusMessage, { kind: 'proposal' }>).block).toEqual(b);
    expect(pool.gathering).toBe(false);
    expect(pool.onPart(out.parts[0]!, 'q', 5).outcome).toBe('duplicate');
    // the same block proposed again (a later round): handed back at once, no parts needed
    expect(pool.onProposal({ ...out.proposal, round: 1 }, 'p', 6, yes)).toHaveLength(1);
  });

  it('refuses a proposal that does not verify, an implausible part set, and more sets per round than allowed', () => {
    const pool = new PartPool<string>(opts);
    expect(pool.onProposal(proposalOf(block(100)), 'p', 0, () => false)).toBe('refused');
    const p = proposalOf(block(100));
    expect(pool.onProposal({ ...p, parts: { ...p.parts, total: 65 } }, 'p', 0, yes)).toBe('refused'); // 4096 / 64 = 64 parts at most
    expect(pool.onProposal(proposalOf(block(101)), 'p', 0, yes)).toEqual([]);
    expect(pool.onProposal(proposalOf(block(102)), 'p', 0, yes)).toEqual([]);
    expect(pool.onProposal(proposalOf(block(103)), 'p', 0, yes)).toBe('refused');
    expect(pool.onProposal(proposalOf(block(104), 1), 'p', 0, yes)).toEqual([]);
  });

  it('marks a bad part invalid, and asks for missing parts from the senders first, then other peers, one at a time', () => {
    const b = block(300);
    const out = new PartPool<string>(opts).full({ kind: 'proposal', proposal: proposalOf(b), block: b });
    const pool = new PartPool<string>(opts);
    pool.onProposal(out.proposal, 'a', 0, yes);
    const bad: PartMessage = { ...out.parts[1]!, part: { ...out.parts[1]!.part, bytes: new Uint8Array(64) } };
    expect(pool.onPart(bad, 'evil', 1).outcome).toBe('invalid');
    pool.onPart(out.parts[2]!, 'b', 10);
    expect(pool.due(20, 40, ['a', 'b', 'c'])).toEqual([]); // progress 10 ms ago
    const first = pool.due(50, 40, ['a', 'b', 'c']);
    expect(first).toEqual([{ request: { height: 1, round: 0, root: out.proposal.parts.root, indices: [0, 1, 3, 4] }, to: 'a' }]);
    expect(pool.due(60, 40, ['a', 'b', 'c'])).toEqual([]); // asked 10 ms ago
    expect(pool.due(90, 40, ['a', 'b', 'c']).map((r) => r.to)).toEqual(['b']);
    expect(pool.due(130, 40, ['a', 'b', 'c']).map((r) => r.to)).toEqual(['c']);
    expect(pool.due(170, 40, ['a', 'b', 'c']).map((r) => r.to)).toEqual(['a']);
    // a peer holding the whole block answers with what is asked for, a peer holding part of it with that part
    const holder = new PartPool<string>(opts);
    holder.hold(out.proposal, b);
    const answer = holder.answer(first[0]!.request);
    expect(answer.map((m) => m.part.index)).toEqual([0, 1, 3, 4]);
    for (const m of answer) pool.onPart(m, 'a', 200);
    expect(pool.gathering).toBe(false);
    expect(pool.answer({ height: 1, round: 0, root: hashOf('unknown'), indices: [0] })).toEqual([]);
  });

  it('keeps orphan parts within its byte budget and forgets old heights', () => {
    const pool = new PartPool<string>({ ...opts, orphanBytesMax: 128 });
    const b = block(300);
    const out = new PartPool<string>(opts).full({ kind: 'proposal', proposal: proposalOf(b), block: b });
    for (const m of out.parts) pool.onPart(m, 'p', 0); // 5 × 64 bytes: only the last 2 kept
    expect(pool.onProposal(out.proposal, 'p', 1, yes)).toEqual([]);
    expect(pool.due(100, 40, ['p'])[0]!.request.indices).toEqual([0, 1, 2]);
    pool.prune(3);
    expect(pool.size).toBe(0);
  });
});
