import { SalusError, fromHex, type Canonical } from '@salus/core';
import { checkItemReceipt, verifyBatchInclusion, verifyNonInclusion, type ItemReceipt } from '@salus/client';
import type { BlockContext, KV, TxContext } from '@salus/module';
import { activeKey, getKey } from '@salus/identity';
import { getParams } from '../params.js';
import type { Anchor, Challenge, Report, Respond } from './payloads.js';
import {
  answeredKey,
  batchStateKey,
  challengeKey,
  dueKey,
  duePrefix,
  getBatch,
  getChallenge,
  misbehaviourKey,
  parseTail,
  type BatchRecord,
  type ChallengeRecord,
  type MisbehaviourRecord,
  type Reason,
} from './state.js';

/**
 * The validators' side of anchoring. They never see an item: an anchor is a root, a size and a
 * deadline signed by an anchoring key; a report or a challenge carries one item's receipt, which
 * they check against the anchoring key's signature and the batch on the ledger. All of it is a pure
 * function of the state and the transaction.
 */
/** the key roles that anchor for an organisation: its administrator (the node's organisation key) or a service key */
export const ANCHOR_ROLES: readonly string[] = ['admin', 'service'];

export function deliverAnchor(ctx: TxContext, p: Anchor): void {
  const key = activeKey(ctx.state, ctx.signerHex);
  if (!key || key.org === null || !ANCHOR_ROLES.includes(key.role)) throw new SalusError('FORBIDDEN', 'only an active admin or service key of an organisation anchors batches');
  const params = getParams(ctx.state);
  if (p.count > params.batchItemsMax) throw new SalusError('OVERSIZE', `a batch holds at most ${params.batchItemsMax} items; this one claims ${p.count}`, { count: p.count });
  if (p.deadline < ctx.height) throw new SalusError('ANCHOR_LATE', `batch ${p.batch} was due by height ${p.deadline}; this is height ${ctx.height}`, { deadline: p.deadline, height: ctx.height });
  if (p.deadline > ctx.height + params.deadlineBlocks) throw new SalusError('INVALID_FIELD', `a deadline is at most ${params.deadlineBlocks} blocks ahead`, { field: 'deadline' });
  if (getBatch(ctx.state, ctx.signerHex, p.batch)) throw new SalusError('CONFLICT', `batch ${p.batch} of this key is already anchored`, { batch: p.batch });
  const record: BatchRecord = { root: p.root, count: p.count, deadline: p.deadline, height: ctx.height, time: ctx.time, org: key.org };
  ctx.state.set(batchStateKey(ctx.signerHex, p.batch), record);
  ctx.emit('anchors.anchored', { anchorer: ctx.signerHex, batch: p.batch, root: p.root, count: p.count, deadline: p.deadline });
}

/** The receipt is signed by its anchoring key and names the item; the key is (or was) registered. Returns its organisation. */
function requireReceipt(ctx: TxContext, r: ItemReceipt): string | null {
  checkItemReceipt(ctx.ed, ctx.chainId, r);
  const key = getKey(ctx.state, r.receipt.body.anchorer);
  if (!key) throw new SalusError('NOT_FOUND', 'the receipt is signed by a key that is not a registered identity');
  return key.org;
}

function record(kv: KV, m: MisbehaviourRecord): void {
  kv.set(misbehaviourKey(m.anchorer, m.batch, m.item), m as unknown as Canonical);
}

export function deliverReport(ctx: TxContext, p: Report): void {
  const r = p.receipt;
  const b = r.receipt.body;
  const org = requireReceipt(ctx, r);
  if (ctx.state.has(misbehaviourKey(b.anchorer, b.batch, r.item))) throw new SalusError('CONFLICT', 'this broken receipt is already on the ledger');
  const batch = getBatch(ctx.state, b.anchorer, b.batch);
  let reason: Reason;
  if (!batch) {
    if (ctx.height <= b.deadline) throw new SalusError('ANCHOR_NOT_DUE', `batch ${b.batch} may still be anchored until height ${b.deadline}; this is height ${ctx.height}`, { deadline: b.deadline });
    reason = 'late';
  } else if (batch.height > b.deadline) reason = 'late';
  else {
    if (!p.evidence) throw new SalusError('ANCHOR_KEPT', `batch ${b.batch} was anchored at height ${batch.height}, by its deadline ${b.deadline}: prove the item missing with non-inclusion evidence, or challenge`, { height: batch.height });
    if (!verifyNonInclusion(fromHex(r.item, 32), p.evidence, fromHex(batch.root, 32), batch.count)) {
      throw new SalusError('BAD_PROOF', `the evidence does not show the item missing from batch ${b.batch}`);
    }
    reason = 'omitted';
  }
  record(ctx.state, { anchorer: b.anchorer, org, batch: b.batch, item: r.item, reason, deadline: b.deadline, reporter: ctx.signerHex, height: ctx.height, receipt: r.receipt });
  ctx.emit('anchors.misbehaviour', { anchorer: b.anchorer, org, batch: b.batch, item: r.item, reason });
}

export function deliverChallenge(ctx: TxContext, p: Challenge): void {
  const r = p.receipt;
  const b = r.receipt.body;
  requireReceipt(ctx, r);
  const batch = getBatch(ctx.state, b.anchorer, b.batch);
  if (!batch && ctx.height <= b.deadline) throw new SalusError('ANCHOR_NOT_DUE', `batch ${b.batch} may still be anchored until height ${b.deadline}`, { deadline: b.deadline });
  if (!batch || batch.height > b.deadline) throw new SalusError('INVALID_FIELD', `batch ${b.batch} was not on the ledger by its deadline ${b.deadline}: report it instead`, { field: 'receipt' });
  const at = [challengeKey, answeredKey, misbehaviourKey].find((k) => ctx.state.has(k(b.anchorer, b.batch, r.item)));
  if (at) throw new SalusError('CONFLICT', 'this item was already challenged');
  const due = ctx.height + getParams(ctx.state).challengeBlocks;
  const ch: ChallengeRecord = { anchorer: b.anchorer, batch: b.batch, item: r.item, due, reporter: ctx.signerHex, height: ctx.height, receipt: r.receipt };
  ctx.state.set(challengeKey(b.anchorer, b.batch, r.item), ch as unknown as Canonical);
  ctx.state.set(dueKey(due, b.anchorer, b.batch, r.item), 1);
  ctx.emit('anchors.challenged', { anchorer: b.anchorer, batch: b.batch, item: r.item, due });
}

export function deliverRespond(ctx: TxContext, p: Respond): void {
  const ch = getChallenge(ctx.state, p.anchorer, p.batch, p.item);
  if (!ch) throw new SalusError('NOT_FOUND', `no open challenge for item ${p.item.slice(0, 12)}… of batch ${p.batch}`);
  const batch = getBatch(ctx.state, p.anchorer, p.batch)!;
  if (!verifyBatchInclusion(fromHex(p.item, 32), p.index, p.path, fromHex(batch.root, 32), batch.count)) {
    throw new SalusError('BAD_PROOF', `the path does not lead from the item to the root of batch ${p.batch}`);
  }
  ctx.state.delete(challengeKey(p.anchorer, p.batch, p.item));
  ctx.state.delete(dueKey(ch.due, p.anchorer, p.batch, p.item));
  ctx.state.set(answeredKey(p.anchorer, p.batch, p.item), { height: ctx.height, by: ctx.signerHex });
  ctx.emit('anchors.answered', { anchorer: p.anchorer, batch: p.batch, item: p.item });
}

/** Challenges that fall due at this height unanswered become misbehaviour of their anchoring key. */
export function expireChallenges(ctx: BlockContext): void {
  for (let rounds = 0; rounds < 1_000; rounds++) {
    const due = ctx.state.list(duePrefix(ctx.height), { limit: 256 });
    if (due.length === 0) return;
    for (const [k] of due) {
      const t = parseTail(k);
      const ch = getChallenge(ctx.state, t.anchorer, t.batch, t.item);
      ctx.state.delete(k);
      if (!ch) continue;
      ctx.state.delete(challengeKey(t.anchorer, t.batch, t.item));
      if (ctx.state.has(misbehaviourKey(t.anchorer, t.batch, t.item))) continue;
      const org = getKey(ctx.state, t.anchorer)?.org ?? null;
      record(ctx.state, { anchorer: t.anchorer, org, batch: t.batch, item: t.item, reason: 'unanswered', deadline: ch.receipt.body.deadline, reporter: ch.reporter, height: ctx.height, receipt: ch.receipt });
    }
  }
}
