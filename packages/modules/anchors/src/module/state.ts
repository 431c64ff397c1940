import { batchOfState, batchStateKey, parseBatchRecord, type BatchRecord, type SignedReceipt } from '@salus/client';
import type { KV } from '@salus/module';

/**
 * The keys the anchors module owns, all under `anchors/`: the anchored batches (their key is the
 * SDK's `batchStateKey`, so a light client asks for exactly it), misbehaviour recorded against
 * anchoring keys, open challenges with an index by the height they fall due, and answered ones.
 */
export { batchStateKey, batchOfState, type BatchRecord };

export type Reason = 'late' | 'omitted' | 'unanswered';

export interface MisbehaviourRecord {
  readonly anchorer: string;
  readonly org: string | null;
  readonly batch: number;
  readonly item: string;
  /** late: the batch was not on the ledger by the deadline; omitted: it lacks the item; unanswered: a challenge went unanswered */
  readonly reason: Reason;
  readonly deadline: number;
  readonly reporter: string;
  readonly height: number;
  readonly receipt: SignedReceipt;
}

export interface ChallengeRecord {
  readonly anchorer: string;
  readonly batch: number;
  readonly item: string;
  readonly due: number;
  readonly reporter: string;
  readonly height: number;
  readonly receipt: SignedReceipt;
}

const tail = (anchorer: string, batch: number, item: string) => `${anchorer}/${batch}/${item}`;
export const misbehaviourPrefix = (anchorer: string) => `anchors/misbehaviour/${anchorer}/`;
export const misbehaviourKey = (anchorer: string, batch: number, item: string) => `anchors/misbehaviour/${tail(anchorer, batch, item)}`;
export const challengePrefix = (anchorer: string) => `anchors/challenge/${anchorer}/`;
export const challengeKey = (anchorer: string, batch: number, item: string) => `anchors/challenge/${tail(anchorer, batch, item)}`;
export const answeredKey = (anchorer: string, batch: number, item: string) => `anchors/answered/${tail(anchorer, batch, item)}`;
/** heights zero-padded, so that the index lists in height order and one height's entries share a prefix */
export const duePrefix = (height: number) => `anchors/due/${String(height).padStart(16, '0')}/`;
export const dueKey = (height: number, anchorer: string, batch: number, item: string) => duePrefix(height) + tail(anchorer, batch, item);

export function getBatch(kv: KV, anchorer: string, batch: number): BatchRecord | undefined {
  const x = kv.get(batchStateKey(anchorer, batch));
  return x === undefined ? undefined : parseBatchRecord(x);
}

export function getChallenge(kv: KV, anchorer: string, batch: number, item: string): ChallengeRecord | undefined {
  return kv.get(challengeKey(anchorer, batch, item)) as ChallengeRecord | undefined;
}

/** (anchorer, batch, item) of a key that ends with them. */
export function parseTail(key: string): { anchorer: string; batch: number; item: string } {
  const [anchorer, batch, item] = key.split('/').slice(-3) as [string, string, string];
  return { anchorer, batch: Number(batch), item };
}
