// The ledger figures of the performance issue: their targets.
export const LEDGER_TARGETS = {
  /** CPU per committed transaction, each validator, at saturation (µs) */
  cpuUsPerTx: 300,
  /** committed tx/s at saturation on 4 validators */
  saturationTxPerS: 1500,
  /** commit latency at half the saturation rate (ms) */
  latencyP50Ms: 500,
  latencyP99Ms: 1000,
  /** committed tx/s with one validator of four killed, against healthy */
  oneDownRatio: 0.7,
  /** SIGKILL → the first block committed by the other three (s) */
  firstBlockS: 3,
  /** a restarted validator at the network's tip, after its API is up (s) */
  tipAfterApiS: 2,
  /** resident memory of a validator (MB; the network benchmark's --target-rss-mb) */
  rssMb: 400,
  /** data directory bytes per committed transaction */
  diskBytesPerTx: 1000,
  /** one node's committed tx/s against the PostgreSQL peer's entries/s */
  peerRatio: 1.0,
  /** records writes/s over 4 nodes, and reads/s on one node */
  recordsWritesPerS: 300,
  recordsReadsPerS: 2000,
} as const;
