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
  /** block-sync requests in flight to one peer (ranges are spread over every peer ahead) */
  readonly syncPeerRequestsMax: number;
  /** synced blocks waiting for their parents, plus the largest answer of every request in flight */
  readonly syncBufferBytesMax: number;
  /** block sync commits blocks one event-loop turn at a time, each turn until this much time is spent (at least one block) */
  readonly syncApplyBudgetMs: number;
  /** messages for the next height kept until it starts */
  readonly futureMessagesMax: number;
  /** a proposal whose block parts made no progress for this long asks one more peer for the missing ones */
  readonly partRequestMs: number;
  /** a proposal whose block time is further ahead of this node's clock is invalid */
  readonly clockDriftMsMax: number;
  /** transactions gathered into one gossip message, and the longest they wait */
  readonly txGossipBatchMax: number;
  readonly txGossipDelayMs: number;
}

/**
 * Blocks travel in parts of 64 KiB (consensus `blockPartBytes`), so a block is not bound by the p2p
 * frame; it stays at 3 MiB because block sync still sends whole blocks in one frame (ADR 0011).
 * The adaptive propose timeout (ADR 0005) lies between 1.5 s and timeoutProposeMs (3 s); a proposer
 * that missed its turn gets 500 ms until it proposes again.
 */
export const defaultBftOptions: BftOptions = {
  tendermint: { ...defaultTendermintOptions, blockBytesMax: 3 * 1024 * 1024 },
  commitDelayMs: 100,
  emptyBlockWaitMs: 1000,
  gossipIntervalMs: 1000,
  syncStatusIntervalMs: 1000,
  syncBatchBlocksMax: 64,
  syncRequestTimeoutMs: 5000,
  syncPeerRequestsMax: 2,
  syncBufferBytesMax: 32 * 1024 * 1024,
  syncApplyBudgetMs: 20,
  futureMessagesMax: 2000,
  partRequestMs: 100,
  clockDriftMsMax: 10_000,
  txGossipBatchMax: 256,
  txGossipDelayMs: 5,
};

/**
 * The consensus options the driver runs with. A proposer with an empty mempool waits up to
 * emptyBlockWaitMs for transactions: the adaptive propose timeout never falls below 1.5 times that
 * wait, or an idle network would time out live proposers.
 */
export function consensusOptions(o: BftOptions): TendermintOptions {
  return { ...o.tendermint, timeoutProposeFloorMs: Math.max(o.tendermint.timeoutProposeFloorMs, Math.ceil(o.emptyBlockWaitMs * 1.5)) };
}
