import { defaultTendermintOptions, type TendermintOptions } from '@salus/consensus';

/** The BFT driver's options (config.json `bft`), with defaults below. Units last in names. */
export interface BftOptions {
  readonly tendermint: TendermintOptions;
  /** pause after a commit before the next height starts, so transactions gather (CometBFT's timeout_commit) */
  readonly commitDelayMs: number;
  /** a proposer with an empty mempool waits this long for transactions before proposing an empty block; keep below timeoutProposeMs */
  readonly emptyBlockWaitMs: number;
  /** with no progress for this long, the current round's messages are sent again */
  readonly gossipIntervalMs: number;
  /** how often each node tells its peers its height (block sync) */
  readonly syncStatusIntervalMs: number;
  /** blocks asked for in one block-sync request */
  readonly syncBatchBlocksMax: number;
  /** a block-sync request with no answer for this long is sent to another peer */
  readonly syncRequestTimeoutMs: number;
  /** messages for the next height kept until it starts */
  readonly futureMessagesMax: number;
  /** a proposal whose block time is further ahead of this node's clock is invalid */
  readonly clockDriftMsMax: number;
  /** transactions gathered into one gossip message, and the longest they wait */
  readonly txGossipBatchMax: number;
  readonly txGossipDelayMs: number;
}

export const defaultBftOptions: BftOptions = {
  tendermint: { ...defaultTendermintOptions, blockBytesMax: 3 * 1024 * 1024 },
  commitDelayMs: 100,
  emptyBlockWaitMs: 1000,
  gossipIntervalMs: 1000,
  syncStatusIntervalMs: 1000,
  syncBatchBlocksMax: 64,
  syncRequestTimeoutMs: 5000,
  futureMessagesMax: 2000,
  clockDriftMsMax: 10_000,
  txGossipBatchMax: 256,
  txGossipDelayMs: 5,
};
