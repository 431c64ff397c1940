import { SalusError } from '@salus/core';
import type { KV, TxContext } from '@salus/module';
import { activeKey, getOrg } from '@salus/identity';
import { applyCapture, broken } from './capture.js';
import type { Capture, Recall, RegisterPrefix, UndoDispense } from './payloads.js';
import { getPack, getRecall, prefixKey, prefixOwner, putPack, recallKey } from './state.js';

/** How long the pharmacy that dispensed a pack may undo it (as the EU FMD allows). */
export const UNDO_WINDOW_MS = 10 * 24 * 3600_000;

function signerOrg(ctx: TxContext): { org: string; role: string } {
  const key = activeKey(ctx.state, ctx.signerHex);
  if (!key || key.org === null) throw new SalusError('FORBIDDEN', 'supply transactions are signed by an active key of an organisation');
  return { org: key.org, role: key.role };
}

export function deliverCapture(ctx: TxContext, p: Capture): void {
  const { org } = signerOrg(ctx);
  const seqs = applyCapture(ctx, org, p.parsed);
  ctx.emit('supply.captured', { org, events: seqs.length, first: seqs[0]!, last: seqs[seqs.length - 1]! });
}

export function deliverRecall(ctx: TxContext, p: Recall): void {
  const { org } = signerOrg(ctx);
  const owner = prefixOwner(ctx.state, p.gtin, 1);
  if (owner?.org !== org) throw new SalusError('FORBIDDEN', `only the manufacturer of GTIN ${p.gtin} (${owner?.org ?? 'no registered organisation'}) recalls its lots`);
  if (getRecall(ctx.state, p.gtin, p.lot)) throw new SalusError('CONFLICT', `lot ${p.lot} of ${p.gtin} is already recalled`);
  ctx.state.set(recallKey(p.gtin, p.lot), { by: org, reason: p.reason, height: ctx.height, time: ctx.time });
  ctx.emit('supply.recalled', { gtin: p.gtin, lot: p.lot, by: org });
}

export function deliverUndoDispense(ctx: TxContext, p: UndoDispense): void {
  const { org } = signerOrg(ctx);
  const pack = getPack(ctx.state, p.gtin, p.serial);
  if (!pack) throw new SalusError('NOT_FOUND', `no pack ${p.gtin}/${p.serial} on this ledger`);
  if (pack.status !== 'dispensed') throw new SalusError('CONFLICT', `pack ${p.gtin}/${p.serial} is ${pack.status}, not dispensed`);
  if (pack.dispensedBy !== org) throw new SalusError('FORBIDDEN', `pack ${p.gtin}/${p.serial} was dispensed by ${pack.dispensedBy}; only it may undo the dispense`);
  if (ctx.time - pack.dispensedAt! > UNDO_WINDOW_MS) throw broken('undo-window', null, `the dispense of pack ${p.gtin}/${p.serial} is older than ${UNDO_WINDOW_MS / 86_400_000} days and stays`);
  putPack(ctx.state, { ...pack, status: pack.before ?? 'received', before: null, dispensedBy: null, dispensedAt: null });
  ctx.emit('supply.dispense_undone', { gtin: p.gtin, serial: p.serial, by: org });
}

/** A prefix may be registered when none registered is a prefix of it or starts with it. */
export function requireFreePrefix(kv: KV, prefix: string): void {
  const shorter = prefixOwner(kv, prefix.padEnd(12, '0'), 0);
  const clash = shorter && prefix.startsWith(shorter.prefix) ? shorter : undefined;
  const longer = kv.list(prefixKey(prefix), { limit: 1 })[0];
  if (clash || longer) throw new SalusError('CONFLICT', `company prefix ${prefix} overlaps ${clash ? clash.prefix : longer![0].slice(prefixKey('').length)}, already registered`);
}

/** GS1 assigns company prefixes; on the ledger an admin of a regulator organisation records the assignment. */
export function deliverRegisterPrefix(ctx: TxContext, p: RegisterPrefix): void {
  const { org, role } = signerOrg(ctx);
  if (role !== 'admin' || getOrg(ctx.state, org)?.kind !== 'regulator') throw new SalusError('FORBIDDEN', 'company prefixes are registered by the admin of a regulator organisation (or in genesis)');
  if (!getOrg(ctx.state, p.org)) throw new SalusError('NOT_FOUND', `no organisation ${p.org}`);
  requireFreePrefix(ctx.state, p.prefix);
  ctx.state.set(prefixKey(p.prefix), p.org);
  ctx.emit('supply.prefix_registered', { prefix: p.prefix, org: p.org });
}
