import type { TxResult } from './result.js';

/**
 * What a module's node services (a records disclosure queue, a custodian, the FHIR facade) use of
 * the node's chain: its id and tip, submitting a transaction they signed, and waiting for it. The
 * node's `Chain` satisfies it as it is; a service gets this, never the chain, so it cannot propose,
 * commit or reach consensus.
 */
export interface LedgerView {
  readonly chainId: string;
  lastHeight(): number;
  /** the latest committed header (its block time, ms), undefined before the first block */
  lastHeader(): { readonly time: number } | undefined;
  /** Admits a signed transaction's bytes (checkTx); returns its hash (hex) or throws the refusal. */
  submit(bytes: Uint8Array): string;
  /** Resolves with the committed transaction's result (TIMEOUT after `timeoutMs`). */
  waitForCommit(hashHex: string, timeoutMs: number): Promise<{ readonly result: TxResult }>;
  /** whether a transaction (hash, hex) waits in this node's mempool */
  readonly mempool: { has(hashHex: string): boolean };
}

/** A committed transaction as the block store keeps it: the signed envelope's and its result's CBOR. */
export interface LedgerTx {
  readonly height: number;
  readonly index: number;
  readonly tx: Uint8Array;
  readonly result: Uint8Array;
}

/** What those services read of committed blocks (the node's `BlockStore` satisfies it). */
export interface BlockReader {
  /** The transactions of a committed block, in block order. */
  getTxs(height: number): readonly LedgerTx[];
  /** Where a transaction (hash) was committed, if it was. */
  findTx(hash: Uint8Array): { readonly height: number; readonly index: number } | undefined;
  getTx(height: number, index: number): LedgerTx | undefined;
  /** A committed block's header (CORRUPT_DATA or NOT_FOUND when it cannot be read). */
  requireBlock(height: number): { readonly header: { readonly time: number } };
  /** The first block held: 0 from genesis; on a node started from a state snapshot, the snapshot height (no block below it is held, so a follower of the ledger starts there). */
  readonly base?: number;
}
