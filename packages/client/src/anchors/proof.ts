import { SalusError, bytesEqual, decode, decodeHeader, fromHex, v, type Ed25519, type Validator } from '@salus/core';
import { verifyStateResponse, type SalusClient, type StateResponse } from '../api.js';
import { itemHash, itemSignBytes, parseItem, type AnchorItemJson } from './item.js';
import { verifyBatchInclusion } from './tree.js';

/** Where the ledger keeps an anchored batch (the anchors module's state, under `anchors/`). */
export const batchStateKey = (anchorer: string, batch: number) => `anchors/batch/${anchorer}/${batch}`;

/** An anchored batch as the ledger keeps it: its root and size, the deadline it was anchored by, and when. */
export interface BatchRecord {
  readonly root: string;
  readonly count: number;
  readonly deadline: number;
  /** the height and block time of the block that anchored it */
  readonly height: number;
  readonly time: number;
  /** the organisation of the anchoring key */
  readonly org: string;
}

/**
 * An item's proof as a node serves it (`GET /v1/anchors/items/:hash/proof`): the signed item, its
 * path in the sorted batch, and the ledger's proof of the batch's root and size, with the header,
 * commit and validator set a light client checks.
 */
export interface AnchorProof {
  readonly item: AnchorItemJson;
  readonly hash: string;
  readonly anchorer: string;
  readonly batch: number;
  readonly index: number;
  readonly path: readonly string[];
  readonly ledger: StateResponse;
}

/** What a verified proof establishes. */
export interface VerifiedAnchor {
  readonly chainId: string;
  readonly hash: string;
  readonly submitter: string;
  readonly anchorer: string;
  readonly batch: number;
  readonly record: BatchRecord;
  /** the header whose app hash proves the batch */
  readonly provenAt: number;
}

export function parseBatchRecord(x: unknown): BatchRecord {
  const r = v.record(x, 'batch');
  return {
    root: v.str(r.root, 'batch.root', 64, /^[0-9a-f]{64}$/),
    count: v.uint(r.count, 'batch.count'),
    deadline: v.uint(r.deadline, 'batch.deadline'),
    height: v.uint(r.height, 'batch.height'),
    time: v.uint(r.time, 'batch.time'),
    org: v.str(r.org, 'batch.org', 63),
  };
}

/** The batch value of a verified state answer, decoded here from its bytes (never the node's `decoded`). */
export function batchOfState(r: StateResponse): BatchRecord | null {
  return r.value === null ? null : parseBatchRecord(decode(fromHex(r.value)));
}

/**
 * Checks an item's proof the way the light client checks anything: the commit's signatures by the
 * validator set → the header's app hash → the state proof of the batch record → the batch root →
 * the item's path; and the item itself: its signature, and that it hashes to the hash it claims.
 * `validators`: the set the caller trusts (from genesis); a SalusClient passes its own. Throws
 * BAD_COMMIT / BAD_PROOF / BAD_SIGNATURE with the reason.
 */
export function checkAnchorProof(ed: Ed25519, p: AnchorProof, validators: readonly Validator[]): VerifiedAnchor {
  verifyStateResponse(ed, p.ledger, validators);
  const chainId = decodeHeader(fromHex(p.ledger.header.raw)).chainId;
  if (p.ledger.key !== batchStateKey(p.anchorer, p.batch)) throw new SalusError('BAD_PROOF', `the ledger proof is of ${p.ledger.key}, not of batch ${p.batch} of ${p.anchorer.slice(0, 12)}…`);
  const record = batchOfState(p.ledger);
  if (!record) throw new SalusError('BAD_PROOF', `batch ${p.batch} of ${p.anchorer.slice(0, 12)}… is not on the ledger`);
  const item = parseItem(p.item, 'item', 'json');
  if (!ed.verify(item.submitter, itemSignBytes(chainId, item), item.sig)) throw new SalusError('BAD_SIGNATURE', "the item's signature does not verify for its submitter on this chain");
  const hash = itemHash(chainId, item);
  if (!bytesEqual(hash, fromHex(p.hash, 32))) throw new SalusError('BAD_PROOF', 'the item does not hash to the hash it is proven under');
  if (!verifyBatchInclusion(hash, p.index, p.path.map((x) => fromHex(x, 32)), fromHex(record.root, 32), record.count)) {
    throw new SalusError('BAD_PROOF', `the item is not in batch ${p.batch}: its path does not lead to the anchored root`);
  }
  return { chainId, hash: p.hash, submitter: p.item.submitter, anchorer: p.anchorer, batch: p.batch, record, provenAt: p.ledger.version + 1 };
}

/** Checks a proof with a client's trust: its `trustedValidators`, else the set the proof names. */
export function verifyAnchorProof(client: SalusClient, p: AnchorProof): VerifiedAnchor {
  return checkAnchorProof(client.ed, p, client.validatorsOf(p.ledger));
}
