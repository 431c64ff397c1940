/** The anchoring service's options (Lodestar's habit: one options object, its defaults beside it). */
export interface AnchorServiceOptions {
  /** the most items one request carries (and one receipt covers) */
  readonly requestItemsMax: number;
  /** items whose signatures may be waiting for verification at once; beyond it requests are refused (TOO_MANY_REQUESTS) */
  readonly verifyQueueMax: number;
  /** how often the batcher looks at its clock (closing batches by time, resubmitting anchors) */
  readonly tickMs: number;
  /** an anchor or answer neither committed nor in the mempool after this long is submitted again */
  readonly resubmitMs: number;
  /** trees of recent batches kept in memory for proofs */
  readonly treesCached: number;
  /** how long a proof request waits for the header that commits to its batch */
  readonly proofWaitMs: number;
  /** FULL: each request's items are on disk before its receipt leaves (a receipt is a promise) */
  readonly synchronous: 'FULL' | 'NORMAL';
}

export const DEFAULT_SERVICE_OPTIONS: AnchorServiceOptions = {
  requestItemsMax: 4096,
  verifyQueueMax: 65_536,
  tickMs: 50,
  resubmitMs: 3_000,
  treesCached: 4,
  proofWaitMs: 10_000,
  synchronous: 'FULL',
};

/** about the largest JSON item (hex bytes, a 64-character label) */
export const ITEM_JSON_BYTES_MAX = 420;
