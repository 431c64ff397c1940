import { toHex } from '@salus/core';
import type { Metrics } from '../api/metrics.js';
import type { BftDriver } from './driver.js';
import type { BlockSync } from './sync.js';

/** What /v1/status shows of consensus and peers (and the gauges it refreshes on the way). */
export function consensusStatusView(d: { driver?: BftDriver; sync?: BlockSync; peers: number; lastHeight: number; metrics: Metrics }): Record<string, unknown> {
  d.metrics.peers.set(d.peers);
  if (!d.driver) return { engine: 'solo', height: d.lastHeight + 1, round: 0, step: 'propose', peers: 0 };
  const st = d.driver.status();
  d.metrics.round.set(st.round);
  d.metrics.step.set(['idle', 'propose', 'prevote', 'precommit', 'commit'].indexOf(st.step));
  return {
    engine: 'tendermint',
    height: st.height,
    round: st.round,
    step: st.step,
    isValidator: st.isValidator,
    proposer: st.proposer ? toHex(st.proposer) : null,
    lockedRound: st.lockedRound,
    validRound: st.validRound,
    prevotes: st.prevotes,
    precommits: st.precommits,
    peers: d.peers,
    peerHeights: Object.fromEntries(d.sync?.peerHeights() ?? []),
    catchingUp: d.sync?.behind ?? false,
    // block sync: requests in flight, blocks fetched ahead waiting for their parents
    sync: d.sync?.stats() ?? null,
    // the adaptive propose timeout: its current estimate, and the proposers presumed down (they get the short one)
    pacing: d.driver.pacing(),
  };
}
