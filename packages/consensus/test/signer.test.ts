import { describe, expect, it } from 'vitest';
import { sha256 } from '@salus/core';
import {
  type SignRequest,
  createGuardedSigner,
  createMemorySignerStore,
  decodeSignerState,
  encodeSignerState,
  guardCheck,
  recordSigned,
  emptySignerState,
  voteSignBytes,
} from '../src/index.js';
import { CHAIN, ed, hashOf, makeKeys } from './helpers/fixture.js';

const [key] = makeKeys(1, 7);
const vote = (type: 'prevote' | 'precommit', height: number, round: number, blockHash: Uint8Array | null): SignRequest => ({ kind: 'vote', chainId: CHAIN, type, height, round, blockHash });
const proposal = (height: number, round: number, blockHash: Uint8Array, polRound = -1): SignRequest => ({ kind: 'proposal', chainId: CHAIN, height, round, polRound, blockHash, parts: { total: 1, root: hashOf('parts') } });

describe('the double-sign guard (privval)', () => {
  it('signs increasing height/round/step and refuses a conflicting vote', () => {
    const store = createMemorySignerStore();
    const s = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store });
    const a = s.sign(vote('prevote', 5, 0, hashOf('A')));
    expect(a.ok).toBe(true);
    if (a.ok) expect(ed.verify(key!.pubKey, voteSignBytes(CHAIN, { type: 'prevote', height: 5, round: 0, blockHash: hashOf('A') }), a.signature)).toBe(true);
    expect(s.sign(vote('prevote', 5, 0, hashOf('B')))).toMatchObject({ ok: false });
    expect(s.sign(vote('prevote', 5, 0, null))).toMatchObject({ ok: false });
    expect(s.sign(vote('precommit', 5, 0, null)).ok).toBe(true);
    expect(s.sign(proposal(5, 1, hashOf('C'))).ok).toBe(true);
    expect(s.sign(proposal(5, 1, hashOf('D')))).toMatchObject({ ok: false });
    expect(store.current()).toMatchObject({ height: 5, round: 1, step: 1 });
  });
  it('signs the very same bytes again (replay), with the same signature, without moving back', () => {
    const store = createMemorySignerStore();
    const s = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store });
    const first = s.sign(vote('prevote', 3, 0, hashOf('A')));
    s.sign(vote('precommit', 3, 2, null));
    const again = s.sign(vote('prevote', 3, 0, hashOf('A')));
    expect(again).toEqual(first);
    expect(store.current()).toMatchObject({ height: 3, round: 2, step: 3 });
  });
  it('refuses regressions it has no record of, and anything of an earlier height', () => {
    const s = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store: createMemorySignerStore() });
    s.sign(vote('prevote', 3, 4, null));
    expect(s.sign(vote('precommit', 3, 2, null))).toMatchObject({ ok: false });
    s.sign(vote('prevote', 4, 0, null));
    expect(s.sign(vote('prevote', 3, 4, null))).toMatchObject({ ok: false }); // the record is per height
  });
  it('persists before the signature leaves, and a restarted signer keeps the guard', () => {
    const store = createMemorySignerStore();
    let saves = 0;
    const counting = { load: store.load, save: (x: Parameters<typeof store.save>[0]) => (saves++, store.save(x)) };
    createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store: counting }).sign(vote('prevote', 9, 1, hashOf('A')));
    expect(saves).toBe(1);
    const restarted = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store: { load: () => decodeSignerState(encodeSignerState(store.current()!)), save: () => {} } });
    expect(restarted.sign(vote('prevote', 9, 1, hashOf('B')))).toMatchObject({ ok: false });
    expect(restarted.sign(vote('prevote', 9, 1, hashOf('A'))).ok).toBe(true);
  });
  it('a store that fails to save means no signature', () => {
    const s = createGuardedSigner({
      ed25519: ed,
      secretKey: key!.secretKey,
      store: { load: () => undefined, save: () => { throw new RangeError('disk full'); } },
    });
    expect(() => s.sign(vote('prevote', 1, 0, null))).toThrow('disk full');
  });
  it('keeps a bounded record', () => {
    let st = emptySignerState;
    for (let r = 0; r < 10; r++) {
      const req = vote('prevote', 1, r, null);
      const d = sha256(new Uint8Array([r]));
      expect(guardCheck(st, req, d)).toBe('sign');
      st = recordSigned(st, req, d, new Uint8Array(64), 4);
      expect(guardCheck(st, req, d)).toBe('resign');
    }
    expect(st.signed).toHaveLength(4);
    expect(st.votes).toHaveLength(4);
  });
  it('remembers the votes of its latest height, for a restarting node to send again', () => {
    const store = createMemorySignerStore();
    const s = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store });
    s.sign(vote('prevote', 2, 0, null));
    s.sign(vote('prevote', 3, 0, hashOf('A')));
    s.sign(proposal(3, 1, hashOf('B')));
    s.sign(vote('precommit', 3, 1, null));
    const restarted = createGuardedSigner({ ed25519: ed, secretKey: key!.secretKey, store: { load: () => decodeSignerState(encodeSignerState(store.current()!)), save: () => {} } });
    const votes = restarted.signedVotes();
    expect(votes.map((x) => [x.type, x.height, x.round, x.blockHash])).toEqual([
      ['prevote', 3, 0, hashOf('A')],
      ['precommit', 3, 1, null],
    ]);
    for (const x of votes) expect(ed.verify(key!.pubKey, voteSignBytes(CHAIN, x), x.signature)).toBe(true);
  });
  it('refuses corrupt state', () => {
    expect(() => decodeSignerState(new Uint8Array([0xff]))).toThrowError(expect.objectContaining({ code: 'MALFORMED_ENCODING' }));
  });
});
