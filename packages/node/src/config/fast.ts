import type { NodeOptionsInput } from './options.js';

/**
 * Consensus and p2p timeouts for a local network on one machine in tests and benchmarks: faults
 * resolve in seconds instead of tens of seconds. The protocol is the same; the defaults suit real
 * networks.
 */
export const FAST_LOCAL_TIMEOUTS: NodeOptionsInput = {
  bft: {
    tendermint: {
      timeoutProposeMs: 800,
      timeoutProposeDeltaMs: 200,
      timeoutProposeFloorMs: 450,
      timeoutProposeDownMs: 200,
      timeoutPrevoteMs: 300,
      timeoutPrevoteDeltaMs: 200,
      timeoutPrecommitMs: 300,
      timeoutPrecommitDeltaMs: 200,
    },
    commitDelayMs: 20,
    emptyBlockWaitMs: 300,
    gossipIntervalMs: 300,
    syncStatusIntervalMs: 300,
  },
  p2p: { backoffMsMin: 100, backoffMsMax: 1000 },
};
