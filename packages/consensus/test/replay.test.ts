import { describe, expect, it } from 'vitest';
import {
  MemoryWal,
  type TendermintInput,
  Tendermint,
  createGuardedSigner,
  createMemorySignerStore,
  decodeInput,
  encodeInput,
  replay,
  step,
} from '../src/index.js';
import { CHAIN, Fixture, ed, hashOf, notProposerOf, ofKind } from './helpers/fixture.js';

/** A height that runs three rounds: a lock on A in round 0, a polka for B in round 1, B decided in round 2. */
function script(fx: Fixture): TendermintInput[] {
  const o = fx.others();
  const v = (i: number, type: 'prevote' | 'precommit', round: number, label: string | null): TendermintInput => ({ kind: 'vote', vote: fx.vote(i, type, round, label === null ? null : hashOf(label)) });
  const p = (round: number, label: string, polRound = -1): TendermintInput => ({ kind: 'proposal', proposal: fx.proposal(round, hashOf(label), polRound), block: new TextEncoder().encode(label), valid: true });
  const t = (round: number, s: 'propose' | 'prevote' | 'precommit'): TendermintInput => ({ kind: 'timeout', height: 1, round, step: s });
  return [
    { kind: 'newHeight', height: 1, validators: fx.validators },
    p(0, 'A'),
    v(o[0]!, 'prevote', 0, 'A'),
    v(o[1]!, 'prevote', 0, 'A'),
    v(o[0]!, 'precommit', 0, null),
    v(o[1]!, 'precommit', 0, null),
    t(0, 'precommit'),
    p(1, 'B'),
    v(o[0]!, 'prevote', 1, 'B'),
    v(o[1]!, 'prevote', 1, 'B'),
    v(o[2]!, 'prevote', 1, 'B'),
    v(o[2]!, 'precommit', 1, null),
    v(o[1]!, 'precommit', 1, null),
    t(1, 'precommit'),
    t(1, 'precommit'),
    p(2, 'B', 1),
    v(o[0]!, 'prevote', 2, 'B'),
    v(o[1]!, 'prevote', 2, 'B'),
    v(o[0]!, 'precommit', 2, 'B'),
    v(o[1]!, 'precommit', 2, 'B'),
  ];
}

const me = (f: { sorted: Fixture['sorted']; validators: Fixture['validators'] }) => notProposerOf(f, 1, [0, 1, 2]);

describe('WAL replay', () => {
  it('the script decides B in round 2 after relocking', () => {
    const fx = new Fixture({ n: 4, me });
    const effects = script(fx).flatMap((i) => fx.feed(i));
    expect(ofKind(effects, 'decide')).toMatchObject([{ height: 1, round: 2, blockHash: hashOf('B') }]);
    expect(ofKind(effects, 'signRefused')).toEqual([]);
  });

  it('replaying the WAL (through its codec) rebuilds the same state with the same signer', () => {
    const fx = new Fixture({ n: 4, me });
    const wal = new MemoryWal();
    for (const i of script(fx)) {
      wal.append(i);
      fx.m.handle(i);
    }
    const again = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: createGuardedSigner({ ed25519: ed, secretKey: fx.sorted[fx.me]!.secretKey, store: fx.store }) });
    const effects = replay(again, wal.read().map((i) => decodeInput(encodeInput(i))));
    expect(again.snapshot()).toEqual(fx.m.snapshot());
    expect(ofKind(effects, 'signRefused')).toEqual([]);
    expect(ofKind(effects, 'decide')).toHaveLength(1);
  });

  it('killed after any input and restarted from WAL + signer state, it ends where an unkilled run ends and never signs a conflict', () => {
    const ref = new Fixture({ n: 4, me });
    const inputs = script(ref);
    for (const i of inputs) ref.m.handle(i);
    for (let k = 0; k <= inputs.length; k++) {
      const store = createMemorySignerStore();
      const signed = new Map<string, string>();
      const makeSigner = () => {
        const inner = createGuardedSigner({ ed25519: ed, secretKey: ref.sorted[ref.me]!.secretKey, store });
        return {
          publicKey: inner.publicKey,
          sign: (req: Parameters<typeof inner.sign>[0]) => {
            const res = inner.sign(req);
            if (res.ok) {
              const key = `${req.height}/${req.round}/${req.kind === 'proposal' ? 'p' : req.type}`;
              const what = String(req.blockHash);
              expect(signed.get(key) ?? what).toBe(what);
              signed.set(key, what);
            }
            return res;
          },
        };
      };
      const first = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: makeSigner() });
      const wal = new MemoryWal();
      for (const i of inputs.slice(0, k)) {
        wal.append(i);
        first.handle(i);
      }
      const second = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: makeSigner() });
      replay(second, wal.read());
      for (const i of inputs.slice(k)) second.handle(i);
      expect(second.snapshot(), `killed after input ${k}`).toEqual(ref.m.snapshot());
    }
  });

  it('with a WAL that lost its tail, the signer refuses what would conflict', () => {
    const fx = new Fixture({ n: 4, me });
    const inputs = script(fx);
    for (const i of inputs.slice(0, 4)) fx.feed(i); // prevoted A, then precommitted A on the polka
    const restarted = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: createGuardedSigner({ ed25519: ed, secretKey: fx.sorted[fx.me]!.secretKey, store: fx.store }) });
    replay(restarted, inputs.slice(0, 2)); // the polka was never synced: the node would time out to nil
    const eff = restarted.handle({ kind: 'timeout', height: 1, round: 0, step: 'prevote' });
    expect(ofKind(eff, 'signRefused')).toMatchObject([{ what: 'precommit', round: 0 }]);
    expect(ofKind(eff, 'broadcast')).toEqual([]);
  });

  it('after a lossy replay, the votes the signer kept go back in, so the node still counts (and gossips) what it signed', () => {
    const fx = new Fixture({ n: 4, me });
    const inputs = script(fx);
    for (const i of inputs.slice(0, 4)) fx.feed(i); // prevote A, precommit A
    const signer = createGuardedSigner({ ed25519: ed, secretKey: fx.sorted[fx.me]!.secretKey, store: fx.store });
    const restarted = new Tendermint({ chainId: CHAIN, ed25519: ed, signer });
    replay(restarted, inputs.slice(0, 2));
    expect(restarted.status().precommits.count).toBe(0);
    for (const vote of signer.signedVotes()) restarted.handle({ kind: 'vote', vote });
    expect(restarted.status().precommits).toEqual({ count: 1, power: 1 });
    const own = restarted.gossip().filter((m) => m.kind === 'vote' && m.vote.type === 'precommit');
    expect(own).toHaveLength(1);
  });

  it('step() is pure: the given state is left untouched', () => {
    const fx = new Fixture({ n: 4, me });
    const inputs = script(fx);
    const deps = { chainId: CHAIN, ed25519: ed, signer: fx.signer };
    let state = new Tendermint(deps).snapshot();
    for (const i of inputs.slice(0, 5)) {
      const before = structuredClone(state);
      const out = step(deps, state, i);
      expect(state).toEqual(before);
      state = out.state;
    }
    expect(state.lockedRound).toBe(0);
  });
});
