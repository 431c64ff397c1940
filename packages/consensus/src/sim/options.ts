import { type TendermintOptions, defaultTendermintOptions } from '../tendermint/options.js';

/** The simulated node's tunables (the driver's, not the protocol's). */
export interface SimNodeOptions {
  /** period of re-broadcasting the current round's messages (jittered ±25 %) */
  readonly gossipIntervalMs: number;
  /** wait between a decision and the next height (CometBFT's timeout_commit) */
  readonly commitDelayMs: number;
  /** time the application takes to build a block */
  readonly appDelayMs: number;
  /** least time between two block-sync requests of one node */
  readonly syncRetryMs: number;
  /** messages for the next height kept while this one finishes */
  readonly futureBufferMax: number;
  /** a part set with no progress for this long asks a peer for its missing parts */
  readonly partRequestMs: number;
  readonly tendermint: TendermintOptions;
}

/** Short timeouts: virtual time is free, but fewer events make faster runs. Adaptive propose timeouts are on, as in the node. */
export const defaultSimNodeOptions: SimNodeOptions = {
  gossipIntervalMs: 150,
  commitDelayMs: 10,
  appDelayMs: 1,
  syncRetryMs: 100,
  futureBufferMax: 1024,
  partRequestMs: 40,
  tendermint: {
    ...defaultTendermintOptions,
    timeoutProposeMs: 200,
    timeoutProposeDeltaMs: 50,
    // no proposer here waits for transactions: the floor only has to cover the network's delays
    timeoutProposeFloorMs: 60,
    timeoutProposeDownMs: 40,
    timeoutProposeSamples: 32,
    timeoutPrevoteMs: 100,
    timeoutPrevoteDeltaMs: 50,
    timeoutPrecommitMs: 100,
    timeoutPrecommitDeltaMs: 50,
  },
};
