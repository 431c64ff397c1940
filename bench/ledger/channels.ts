// Scale-out by channels (ADR 0014): total committed throughput of 1, 2, 4, ..., 64 independent chains,
// each with its own validators, with a share of custody transfers relayed between them, in the
// multi-chain simulation (virtual time over the seeded consensus simulator; no target: the figure
// is how total throughput grows with the number of chains, and whether every run kept the
// protocol's promises).
import { DEFAULT_MULTICHAIN, runMultiChain } from '@salus/channels';
import { log } from '../lib/cli.js';
import { createNativeEd25519 } from '../lib/native-crypto.js';
import { round } from '../lib/stats.js';

export interface ChannelsFlags {
  readonly maxChains: number;
  readonly durationMs: number;
  readonly seed: number;
}

export const channelsDefaults: ChannelsFlags = { maxChains: 64, durationMs: DEFAULT_MULTICHAIN.durationMs, seed: 1 };
export const channelsQuickDefaults: ChannelsFlags = { maxChains: 16, durationMs: 2_000, seed: 1 };

export async function runChannelScaling(f: ChannelsFlags) {
  const ed25519 = createNativeEd25519();
  const scaling = [];
  for (let n = 1; n <= f.maxChains; n *= 2) {
    const r = runMultiChain({ ...DEFAULT_MULTICHAIN, chains: n, seed: f.seed, durationMs: f.durationMs, ed25519 });
    log(`[channels] ${n} chains: ${r.txsPerSecond} tx/s (virtual), ${r.transfers.sent} transfers, ${r.violations.length} violations`);
    scaling.push({ chains: n, tx_per_s: r.txsPerSecond, per_chain: r.perChainTxsPerSecond, mean_block_ms: r.meanBlockMs, transfers: r.transfers, relay_txs: r.relayTxs, refused: r.refused, violations: r.violations });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const base = scaling[0]!.tx_per_s;
  return {
    simulation: 'channels (virtual time; the seeded consensus simulator per chain, cost model per validator)',
    validators_per_chain: DEFAULT_MULTICHAIN.validatorsPerChain,
    cross_fraction: DEFAULT_MULTICHAIN.crossFraction,
    costs: DEFAULT_MULTICHAIN.costs,
    duration_ms: f.durationMs,
    scaling: scaling.map((s) => ({ ...s, speedup: round(s.tx_per_s / base, 2), efficiency: round(s.tx_per_s / base / s.chains, 2) })),
    pass: scaling.every((s) => s.violations.length === 0),
  };
}
