/** Every queue, message and batch has a limit; these are the defaults the node's options start from. */
export const LIMITS = {
  // a FHIR transaction Bundle of 100 resources is one records/write_batch transaction (~1.5 KB a write)
  txBytesMax: 256 * 1024,
  payloadDepthMax: 16,
  moduleNameLengthMax: 32,
  typeNameLengthMax: 48,
  blockTxsMax: 10_000,
  blockBytesMax: 8 * 1024 * 1024,
  mempoolTxsMax: 50_000,
  mempoolBytesMax: 256 * 1024 * 1024,
  stateKeyBytesMax: 256,
  stateValueBytesMax: 64 * 1024,
  /** nonces run far ahead of a signer's committed nonce only within this window */
  nonceWindow: 1_000,
} as const;
