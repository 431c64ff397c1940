import { SalusError, fromHex, v, type Canonical } from '@salus/core';
import { parseItemReceipt, parseNonInclusion, type ItemReceipt, type NonInclusion } from '@salus/client';
import { PARAM_LIMITS } from '../params.js';

/** The anchors module's transactions and their stateless shape checks (INVALID_FIELD naming the field). */
export type AnchorTxType = 'anchor' | 'report' | 'challenge' | 'respond';

/** A node anchors one batch: its sequence number under the signing key, root, size and deadline. */
export interface Anchor {
  readonly batch: number;
  readonly root: string;
  readonly count: number;
  readonly deadline: number;
}

/** A broken receipt: with non-inclusion evidence when the batch is on the ledger, without when it is not (late). */
export interface Report {
  readonly receipt: ItemReceipt;
  readonly evidence?: NonInclusion;
}

export interface Challenge {
  readonly receipt: ItemReceipt;
}

/** The answer to a challenge: the item's path in the anchored batch (anyone may send it). */
export interface Respond {
  readonly anchorer: string;
  readonly batch: number;
  readonly item: string;
  readonly index: number;
  readonly path: readonly Uint8Array[];
}

const HEX32 = /^[0-9a-f]{64}$/;
/** a path in a batch of at most PARAM_LIMITS.batchItemsMax leaves */
const PATH_MAX = 21;

export function parseAnchorPayload(type: string, payload: Canonical): Anchor | Report | Challenge | Respond {
  const r = v.record(payload, 'payload');
  switch (type as AnchorTxType) {
    case 'anchor': {
      v.onlyKeys(r, ['batch', 'root', 'count', 'deadline'], 'payload');
      const count = v.uint(r.count, 'count', PARAM_LIMITS.batchItemsMax);
      if (count < 1) throw new SalusError('INVALID_FIELD', 'a batch holds at least one item', { field: 'count' });
      return { batch: v.uint(r.batch, 'batch'), root: v.str(r.root, 'root', 64, HEX32), count, deadline: v.uint(r.deadline, 'deadline') };
    }
    case 'report': {
      v.onlyKeys(r, ['receipt', 'evidence'], 'payload');
      const receipt = parseItemReceipt(r.receipt);
      return r.evidence === undefined ? { receipt } : { receipt, evidence: parseNonInclusion(r.evidence, 'evidence') };
    }
    case 'challenge':
      v.onlyKeys(r, ['receipt'], 'payload');
      return { receipt: parseItemReceipt(r.receipt) };
    case 'respond': {
      v.onlyKeys(r, ['anchorer', 'batch', 'item', 'index', 'path'], 'payload');
      const path = v.list(r.path, 'path', PATH_MAX).map((p, i) => fromHex(v.str(p, `path[${i}]`, 64, HEX32), 32));
      return { anchorer: v.str(r.anchorer, 'anchorer', 64, HEX32), batch: v.uint(r.batch, 'batch'), item: v.str(r.item, 'item', 64, HEX32), index: v.uint(r.index, 'index', PARAM_LIMITS.batchItemsMax), path };
    }
    default:
      throw new SalusError('UNKNOWN_TYPE', `anchors has no transaction type ${type}`);
  }
}
