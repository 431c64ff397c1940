/**
 * What a block costs a validator in the multi-chain simulation, in ms of one validator's CPU. Every
 * validator of a chain executes every transaction of it; the chains' validators are disjoint
 * machines, so chains cost each other nothing but the packets between them.
 */
export interface CostModel {
  /** one transaction: its signature check and its execution with its state writes */
  readonly txMs: number;
  /** a packet transaction's extra: one sparse Merkle proof checked against a verified app hash */
  readonly proofMs: number;
  /** a light-client update's extra, per signature of the counterparty's commit */
  readonly commitSigMs: number;
  /** the most CPU one block's execution may take: the block is full beyond it */
  readonly blockBudgetMs: number;
}

/**
 * Defaults near this repository's measurements on one core: Ed25519 verification about 0.1 ms, a
 * transaction's execution and state-tree write about 0.2 ms, a proof check (about 30 SHA-256) 0.03 ms.
 */
export const DEFAULT_COSTS: CostModel = { txMs: 0.3, proofMs: 0.03, commitSigMs: 0.1, blockBudgetMs: 300 };
