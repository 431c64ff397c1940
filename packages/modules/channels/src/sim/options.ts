import type { Ed25519 } from '@salus/core';
import { DEFAULT_COSTS, type CostModel } from './cost.js';

/** The multi-chain simulation's knobs and what it reports (see `runMultiChain`). */
export interface MultiChainOptions {
  readonly chains: number;
  readonly validatorsPerChain: number;
  readonly seed: number;
  /** virtual ms of load; then the relayer drains what is in flight */
  readonly durationMs: number;
  /** of the users' transactions, the share that sends an item to another chain */
  readonly crossFraction: number;
  readonly relayIntervalMs: number;
  /** a transfer's timeout: this many blocks of the destination after it is sent */
  readonly timeoutBlocks: number;
  readonly itemsPerChain: number;
  readonly costs: CostModel;
  readonly faults: { readonly skip: number; readonly duplicate: number; readonly forge: number; readonly outageMs: number };
  readonly consensusHeights: number;
  readonly ed25519?: Ed25519;
}

export const DEFAULT_MULTICHAIN: Omit<MultiChainOptions, 'chains' | 'seed'> = {
  validatorsPerChain: 4,
  durationMs: 4_000,
  crossFraction: 0.1,
  relayIntervalMs: 200,
  timeoutBlocks: 12,
  itemsPerChain: 400,
  costs: DEFAULT_COSTS,
  faults: { skip: 0.05, duplicate: 0.02, forge: 0.01, outageMs: 1_500 },
  consensusHeights: 24,
};

export interface MultiChainResult {
  readonly chains: number;
  readonly validatorsPerChain: number;
  readonly seed: number;
  readonly durationMs: number;
  /** users' transactions committed within durationMs, all chains */
  readonly committedTxs: number;
  readonly txsPerSecond: number;
  readonly perChainTxsPerSecond: number;
  /** mean time between blocks under load (within durationMs) */
  readonly meanBlockMs: number;
  readonly transfers: { readonly sent: number; readonly received: number; readonly refunded: number; readonly errorAcks: number };
  readonly relayTxs: number;
  /** refusals of the relayer's transactions by code (duplicates: PACKET_REPLAYED; forgeries: BAD_PROOF; …) */
  readonly refused: Readonly<Record<string, number>>;
  readonly violations: readonly string[];
}
