import { runSimulation, type Scenario } from '@salus/consensus';
import type { Ed25519 } from '@salus/core';

/**
 * Each chain's block intervals come from the seeded consensus simulator: its own validators running
 * the real Tendermint state machine over a simulated LAN (1–20 ms delays, reordering), from which
 * the virtual time between consecutive commits is taken. The multi-chain layer adds each block's
 * execution time on top.
 */
const cache = new Map<string, number[]>();

export function consensusIntervals(validators: number, seed: number, heights: number, ed25519?: Ed25519): number[] {
  const key = `${validators}/${seed}/${heights}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const scenario: Scenario = { name: `channel-chain-${validators}`, description: 'one chain of the multi-chain simulation', powers: Array.from({ length: validators }, () => 1), network: { delayMinMs: 1, delayMaxMs: 20 }, heights };
  const r = runSimulation(scenario, seed, ed25519 ? { ed25519 } : {});
  if (!r.ok) throw new TypeError(`consensus run of seed ${seed} failed: ${r.violation?.invariant}: ${r.violation?.message}`);
  const out: number[] = [];
  for (let h = 2; h <= heights; h++) {
    const a = r.commitTimes[h - 1];
    const b = r.commitTimes[h];
    if (a !== undefined && b !== undefined) out.push(Math.max(1, b - a));
  }
  cache.set(key, out);
  return out;
}
