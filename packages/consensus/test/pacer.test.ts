import { describe, expect, it } from 'vitest';
import { toHex } from '@salus/core';
import { type TendermintOptions, ProposePacer, Tendermint, defaultTendermintOptions, percentile } from '../src/index.js';
import { CHAIN, Fixture, ed, hashOf, notProposerOf, ofKind } from './helpers/fixture.js';

const opts: TendermintOptions = {
  ...defaultTendermintOptions,
  timeoutProposeMs: 3000,
  timeoutProposeDeltaMs: 500,
  timeoutProposeFloorMs: 400,
  timeoutProposeDownMs: 250,
  timeoutProposeSamples: 16,
  timeoutProposePercentile: 90,
  timeoutProposeMarginPct: 150,
  proposerMissesDown: 1,
};

/** A machine under test with a pacer, fed at given times. */
function paced(o: TendermintOptions = opts) {
  const fx = new Fixture({ n: 4, me: (f) => notProposerOf(f, 1, [0, 1, 2]), options: o });
  const pacer = new ProposePacer(o, fx.sorted[fx.me]!.pubKey);
  const m = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: fx.signer, options: o, pacer });
  let now = 0;
  const feed = (input: Parameters<Tendermint['handle']>[0], at: number) => {
    now = at;
    const eff = m.handle(input);
    pacer.observe(m.state, input, now);
    return eff;
  };
  const proposeTimeouts = (eff: ReturnType<Tendermint['handle']>) => ofKind(eff, 'scheduleTimeout').filter((e) => e.step === 'propose').map((e) => e.ms);
  return { fx, m, pacer, feed, proposeTimeouts, now: () => now };
}

/** Runs height h to a decision in round 0, the proposal arriving `delay` ms after the round started at `t`. */
function height(p: ReturnType<typeof paced>, h: number, t: number, delay: number): number {
  const { fx, feed } = p;
  feed({ kind: 'newHeight', height: h, validators: fx.validators }, t);
  const label = `block ${h}`;
  const proposer = fx.proposerAt(h, 0);
  if (proposer !== fx.me) feed({ kind: 'proposal', proposal: fx.proposal(0, hashOf(label), -1, h, proposer, new TextEncoder().encode(label)), block: new TextEncoder().encode(label), valid: true }, t + delay);
  return t + delay + 50;
}

/** A pacer after 12 heights of 100 ms proposals, and the first later height whose round-0 proposer (the victim) is not me. */
function warmedUpWithVictim() {
  const p = paced();
  const { fx } = p;
  let t = 0;
  for (let h = 1; h <= 12; h++) t = height(p, h, t, 100);
  let h = 13;
  while (fx.proposerAt(h, 0) === fx.me) h++;
  return { p, fx, t, h, victim: fx.sorted[fx.proposerAt(h, 0)]!.pubKey };
}

describe('the propose pacer (adaptive propose timeouts)', () => {
  it('nearest-rank percentile', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([7], 50)).toBe(7);
  });

  it('uses the configured timeout until it has seen 8 proposal delays, then P90 × 1.5 clamped to [floor, configured]', () => {
    const p = paced();
    expect(p.pacer.estimateMs()).toBe(3000);
    let t = 0;
    for (let h = 1; h <= 12; h++) t = height(p, h, t, 600);
    expect(p.pacer.status().samples).toBeGreaterThanOrEqual(8);
    expect(p.pacer.estimateMs()).toBe(900); // 600 × 1.5
    for (let h = 13; h <= 40; h++) t = height(p, h, t, 10);
    expect(p.pacer.estimateMs()).toBe(400); // 10 × 1.5 = 15, below the floor
    for (let h = 41; h <= 60; h++) t = height(p, h, t, 5000); // late proposals count: a slow network raises it
    expect(p.pacer.estimateMs()).toBe(3000); // capped at the configured timeout
  });

  it('the machine arms the pacer’s timeout, growing by the delta each round', () => {
    const p = paced();
    let t = 0;
    for (let h = 1; h <= 12; h++) t = height(p, h, t, 100);
    const eff = p.feed({ kind: 'newHeight', height: 13, validators: p.fx.validators }, t);
    expect(p.proposeTimeouts(eff)).toEqual([400]);
    const next = p.feed({ kind: 'timeout', height: 13, round: 0, step: 'precommit' }, t + 1);
    expect(p.proposeTimeouts(next)).toEqual([900]); // round 1: 400 + 500
    const eff2 = p.fx.others().flatMap((i) => p.feed({ kind: 'vote', vote: p.fx.vote(i, 'precommit', 1, null, 13) }, t + 2)); // 2f+1 nil: round 2 at once
    expect(p.m.status().round).toBe(2);
    expect(p.proposeTimeouts(eff2)).toEqual([1400]);
  });

  it('a proposer whose turn ran out is presumed down: short timeouts, until any proposal of its own arrives', () => {
    const { p, fx, t, h, victim } = warmedUpWithVictim();
    // let the victim's turn run out
    const start = p.feed({ kind: 'newHeight', height: h, validators: fx.validators }, t);
    expect(p.proposeTimeouts(start)).toEqual([400]);
    p.feed({ kind: 'timeout', height: h, round: 0, step: 'propose' }, t + 400);
    expect(p.pacer.presumedDown(victim)).toBe(true);
    expect(p.pacer.proposeTimeoutMs(h + 4, 0, victim)).toBe(250);
    expect(p.pacer.proposeTimeoutMs(h + 4, 2, victim)).toBe(1250); // the delta still grows it
    expect(p.pacer.status().presumedDown).toHaveLength(1);
    // its proposal for that round turns up late: it is alive, and the delay counts
    const label = 'late';
    p.feed({ kind: 'proposal', proposal: fx.proposal(0, hashOf(label), -1, h, fx.proposerAt(h, 0), new TextEncoder().encode(label)), block: new TextEncoder().encode(label), valid: true }, t + 900);
    expect(p.pacer.presumedDown(victim)).toBe(false);
    expect(p.pacer.proposeTimeoutMs(h + 4, 0, victim)).toBe(p.pacer.estimateMs());
  });

  it('a proposer whose link closed is presumed down at once, until the link is back or a proposal of its arrives', () => {
    const { p, fx, t, h, victim } = warmedUpWithVictim();
    const key = toHex(victim);
    p.pacer.linkDown(key);
    expect(p.pacer.status().presumedDown).toEqual([key]);
    // its very first turn after the link closed already gets the short timeout
    expect(p.proposeTimeouts(p.feed({ kind: 'newHeight', height: h, validators: fx.validators }, t))).toEqual([250]);
    p.pacer.linkUp(key);
    expect(p.pacer.presumedDown(victim)).toBe(false);
    expect(p.pacer.proposeTimeoutMs(h + 4, 0, victim)).toBe(400);
    // down again, but its proposal arrives over others' links: alive, whatever the link says
    p.pacer.linkDown(key);
    const label = 'relayed';
    p.feed({ kind: 'proposal', proposal: fx.proposal(0, hashOf(label), -1, h, fx.proposerAt(h, 0), new TextEncoder().encode(label)), block: new TextEncoder().encode(label), valid: true }, t + 100);
    expect(p.pacer.status().presumedDown).toEqual([]);
    // and a node never marks itself
    p.pacer.linkDown(toHex(fx.sorted[fx.me]!.pubKey));
    expect(p.pacer.status().presumedDown).toEqual([]);
  });

  it('never presumes itself down, and a stale timeout is no missed turn', () => {
    const p = paced();
    const { fx } = p;
    const me = fx.sorted[fx.me]!.pubKey;
    let h = 1;
    while (fx.proposerAt(h, 0) !== fx.me) h++;
    p.feed({ kind: 'newHeight', height: h, validators: fx.validators }, 0);
    p.feed({ kind: 'timeout', height: h, round: 0, step: 'propose' }, 3000); // our application never answered
    expect(p.pacer.presumedDown(me)).toBe(false);
    const q = paced();
    q.feed({ kind: 'newHeight', height: 1, validators: q.fx.validators }, 0);
    q.feed({ kind: 'timeout', height: 1, round: 5, step: 'propose' }, 10);
    expect(q.pacer.status().presumedDown).toEqual([]);
  });

  it('without adaptation, the configured timeouts', () => {
    const o = { ...opts, timeoutProposeAdaptive: false };
    const p = paced(o);
    let t = 0;
    for (let h = 1; h <= 12; h++) t = height(p, h, t, 10);
    expect(p.pacer.proposeTimeoutMs(13, 1, p.fx.sorted[0]!.pubKey)).toBe(3500);
  });
});
