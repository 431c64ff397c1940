import { describe, expect, it } from 'vitest';
import { type Scenario, Checker, Prng, SCENARIOS, Scheduler, SimApp, runSimulation, scenarioByName } from '../src/index.js';
import { nativeEd25519 as ed } from './helpers/native-ed25519.js';

/** xoshiro128** written out with BigInt, as an independent oracle. */
function oracle(s: bigint[]): () => number {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  return () => {
    const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return Number(result);
  };
}

describe('simulator harness', () => {
  it('xoshiro128** matches the reference algorithm', () => {
    const p = Prng.fromState(1, 2, 3, 4);
    expect(p.nextU32()).toBe(11520); // rotl(2 × 5, 7) × 9
    const q = Prng.fromState(0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface);
    const o = oracle([0xdeadbeefn, 0x01234567n, 0x89abcdefn, 0xfeedfacen]);
    for (let i = 0; i < 1000; i++) expect(q.nextU32()).toBe(o());
    const a = new Prng(42);
    const b = new Prng(42);
    for (let i = 0; i < 100; i++) expect(a.float()).toBe(b.float());
  });

  it('the scheduler runs events in (time, insertion) order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(5, () => seen.push('b'));
    s.at(1, () => seen.push('a'));
    s.at(5, () => seen.push('c'));
    s.at(3, () => s.after(2, () => seen.push('d')));
    while (s.step());
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(() => s.at(1, () => {})).toThrowError(expect.objectContaining({ code: 'CORRUPT_DATA' }));
  });

  it('a seed replays exactly', () => {
    for (const name of ['crash-4', 'byz-equivocate-4', 'down-4', 'parts-lossy-4']) {
      const s = scenarioByName(name)!;
      const a = runSimulation(s, 7, { ed25519: ed });
      const b = runSimulation(s, 7, { ed25519: ed });
      expect(b).toEqual(a);
      expect(a.replay).toBe(`node packages/consensus/scripts/simulate.mjs --scenario ${name} --seed 7 --verbose`);
    }
  });

  it('different seeds give different runs', () => {
    const s = scenarioByName('lossy-4')!;
    expect(runSimulation(s, 1, { ed25519: ed }).events).not.toBe(runSimulation(s, 2, { ed25519: ed }).events);
  });

  it('flags a missed liveness bound with the seed to replay', () => {
    const r = runSimulation(scenarioByName('partition-5')!, 3, { ed25519: ed, livenessBoundMs: 1 });
    expect(r.ok).toBe(false);
    expect(r.violation?.invariant).toBe('liveness');
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('refuses a scenario whose Byzantine power is not below a third', () => {
    const s: Scenario = { ...scenarioByName('byz-silent-4')!, name: 'too-many', byzantine: { 0: 'silent', 1: 'silent' } };
    expect(runSimulation(s, 1, { ed25519: ed }).violation?.invariant).toBe('byzantine-bound');
    const exact: Scenario = { ...s, powers: [1, 1, 1], byzantine: { 0: 'silent' } };
    expect(runSimulation(exact, 1, { ed25519: ed }).violation?.invariant).toBe('byzantine-bound');
  });

  it('the checker catches disagreement, invalid commits and double signing', () => {
    const c = new Checker(ed, () => 0);
    c.onSigned(0, { kind: 'vote', chainId: 'x', type: 'prevote', height: 1, round: 0, blockHash: null });
    c.onSigned(0, { kind: 'vote', chainId: 'x', type: 'prevote', height: 1, round: 0, blockHash: null });
    expect(c.violation).toBeNull();
    c.onSigned(0, { kind: 'vote', chainId: 'x', type: 'prevote', height: 1, round: 0, blockHash: new Uint8Array(32) });
    expect(c.violation?.invariant).toBe('double-sign');
    const d = new Checker(ed, () => 0);
    d.onCommit(0, 1, new Uint8Array([0xa0]), new Uint8Array(32), { height: 1, round: 0, blockHash: new Uint8Array(32), signatures: [] }, []);
    expect(d.violation?.invariant).toBe('commit-validity');
  });

  it('the simulated application accepts a block re-proposed by another validator, not one by a stranger', () => {
    const keys = [1, 2, 3].map((i) => ed.publicKey(new Uint8Array(32).fill(i)));
    const vals = keys.map((pubKey) => ({ pubKey, power: 1 }));
    const app = new SimApp('salus-sim', () => vals);
    const { block, blockHash } = app.makeBlock(new Prng(1), 2, 1000, null, keys[0]!);
    const proposal = { height: 2, round: 3, polRound: 1, blockHash, proposer: keys[1]!, signature: new Uint8Array(64) };
    expect(app.isValid(proposal, block, null)).toBe(true);
    expect(app.isValid({ ...proposal, height: 3 }, block, null)).toBe(false);
    expect(app.isValid(proposal, block, new Uint8Array(32).fill(9))).toBe(false);
    const stranger = app.makeBlock(new Prng(1), 2, 1000, null, new Uint8Array(32).fill(7));
    expect(app.isValid({ ...proposal, blockHash: stranger.blockHash }, stranger.block, null)).toBe(false);
    expect(app.isValid(proposal, new Uint8Array([1, 2, 3]), null)).toBe(false);
  });

  it('every scenario keeps Byzantine power below a third and has a description', () => {
    for (const s of SCENARIOS) {
      expect(s.description.length).toBeGreaterThan(10);
      expect(runSimulation({ ...s, heights: 1 }, 1, { ed25519: ed }).violation?.invariant).not.toBe('byzantine-bound');
    }
  });
});
