import { SalusError, v } from '@salus/core';
import type { KV } from '@salus/module';

/**
 * The network's anchoring parameters: the module's genesis section (`genesis.modules.anchors`),
 * written to state at `anchors/params`. Validators check anchors and reports against them; a node's
 * batcher closes its batches by them. A chain created before the module existed has no section and
 * runs on the defaults.
 */
export interface AnchorParams {
  /** the most items one batch holds (a batch root on the ledger stands for at most this many) */
  readonly batchItemsMax: number;
  /** how long a node keeps a batch open before it closes and anchors it (ms of its clock) */
  readonly batchIntervalMs: number;
  /** a batch opened at height h must be on the ledger by height h + deadlineBlocks */
  readonly deadlineBlocks: number;
  /** blocks an anchoring node has to answer a challenge with the item's inclusion proof */
  readonly challengeBlocks: number;
}

export const DEFAULT_PARAMS: AnchorParams = { batchItemsMax: 65_536, batchIntervalMs: 1_000, deadlineBlocks: 30, challengeBlocks: 50 };

/** The hard limits a section may ask for (a batch path stays ≤ 20 hashes; deadlines of minutes, not days). */
export const PARAM_LIMITS = { batchItemsMax: 1 << 20, batchIntervalMs: 600_000, deadlineBlocks: 10_000, challengeBlocks: 100_000 } as const;

export const PARAMS_KEY = 'anchors/params';

export function parseParams(section: unknown): AnchorParams {
  if (section === undefined) return DEFAULT_PARAMS;
  const r = v.record(section, 'genesis.modules.anchors');
  v.onlyKeys(r, Object.keys(DEFAULT_PARAMS), 'genesis.modules.anchors');
  const field = (k: keyof AnchorParams, min: number): number => {
    const n = r[k] === undefined ? DEFAULT_PARAMS[k] : v.uint(r[k], `genesis.modules.anchors.${k}`, PARAM_LIMITS[k]);
    if (n < min) throw new SalusError('CONFIG', `genesis.modules.anchors.${k} is at least ${min}`);
    return n;
  };
  const p = { batchItemsMax: field('batchItemsMax', 1), batchIntervalMs: field('batchIntervalMs', 10), deadlineBlocks: field('deadlineBlocks', 3), challengeBlocks: field('challengeBlocks', 2) };
  return p;
}

export function getParams(kv: KV): AnchorParams {
  return (kv.get(PARAMS_KEY) as AnchorParams | undefined) ?? DEFAULT_PARAMS;
}
