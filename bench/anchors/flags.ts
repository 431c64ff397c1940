// The flags of the anchors benchmark: the full run's defaults and what --quick replaces.
import { OUT_DIR } from '../lib/paths.js';

export const anchorsDefaults = {
  /** items signed beforehand and anchored during the run */
  items: 200_000,
  /** items per POST /v1/anchors/items (a node takes up to 4,096) */
  requestItems: 4096,
  /** requests in flight per anchoring node */
  concurrency: 2,
  /** how many of the four nodes take items (each anchors what it takes, with its organisation key) */
  nodes: 4,
  /** submitting keys (device members), spread over the anchoring nodes' organisations */
  submitters: 16,
  /** items whose proofs the SDK fetches and verifies after the run */
  proofs: 24,
  targetItemsPerS: 10_000,
  anchorTimeoutS: 120,
  logLevel: 'warn',
  out: OUT_DIR,
  keep: false,
};
export const anchorsQuickDefaults = { items: 60_000 };
export type AnchorsFlags = { quick: boolean } & typeof anchorsDefaults;
