import { SalusError, toHex, type Canonical } from '@salus/core';
import type { KV, TxContext } from '@salus/module';
import type { CapturedDocument, CapturedEvent } from '../epcis/document.js';
import type { Gs1Id } from '../epcis/identifiers.js';
import {
  epcIndexKey,
  parentIndexKey,
  eventIdKey,
  eventKey,
  getContainer,
  getPack,
  getRecall,
  prefixOwner,
  putContainer,
  putPack,
  seqKey,
  traceKey,
  type PackRecord,
  type PackStatus,
  type StoredEvent,
} from './state.js';

/**
 * Capture's ledger rules (ADR 0015): each event of a document, in order, against the state the
 * events before it left; the first that breaks a rule fails the whole transaction, so nothing of
 * the document is recorded. Events change the state of the serialised packs they name (SGTINs)
 * and of the containers (SSCCs) those are packed in; events about anything else are recorded and
 * answered by queries, with no rule attached.
 */
export const EVENT_TIME_SKEW_MS = 5 * 60_000;

export type Rule =
  | 'future-event-time'
  | 'duplicate-event'
  | 'unregistered-prefix'
  | 'foreign-identifier'
  | 'already-commissioned'
  | 'unknown-pack'
  | 'unknown-container'
  | 'not-owner'
  | 'already-aggregated'
  | 'not-packable'
  | 'not-shippable'
  | 'unknown-destination'
  | 'not-shipped'
  | 'not-shipped-to-receiver'
  | 'already-dispensed'
  | 'recalled'
  | 'not-dispensable'
  | 'undo-window';

/** `event`: the event's index in its document (null for a rule outside capture) */
export function broken(rule: Rule, event: number | null, message: string, extra: Record<string, Canonical> = {}): SalusError {
  return new SalusError('EPCIS_RULE', `${event === null ? '' : `event ${event}: `}${message} (rule ${rule})`, { rule, ...(event === null ? {} : { event }), ...extra, epcisException: 'ValidationException' });
}

const SHIPPABLE: readonly PackStatus[] = ['commissioned', 'packed', 'received'];
const DISPENSABLE: readonly PackStatus[] = ['received', 'packed', 'commissioned'];
/** dispositions that put a pack in a status of the same name (mismatch_instance: a suspect pack) */
const STATUS_OF_DISPOSITION: Readonly<Record<string, PackStatus>> = { destroyed: 'destroyed', stolen: 'stolen', expired: 'expired', recalled: 'recalled', mismatch_instance: 'suspect', inactive: 'decommissioned' };

interface Ctx {
  readonly kv: KV;
  readonly org: string;
  readonly time: number;
  readonly event: CapturedEvent;
  /** keys of the packs the event moved, through containers too (for their traces) */
  readonly moved: Set<string>;
}

const packName = (id: Gs1Id) => `pack ${id.digits}/${id.serial}`;

function requireOwnIdentifier(c: Ctx, id: Gs1Id | null, field: string): void {
  if (!id || id.kind === 'other' || !id.digits) return;
  const owner = prefixOwner(c.kv, id.digits, id.prefixFrom ?? 0, id.companyPrefix);
  if (!owner) throw broken('unregistered-prefix', c.event.index, `${field} ${id.key}: its company prefix is registered to no organisation on this ledger`, { field });
  if (owner.org !== c.org) throw broken('foreign-identifier', c.event.index, `${field} ${id.key}: company prefix ${owner.prefix} belongs to ${owner.org}, not to ${c.org}`, { field });
}

function requirePack(c: Ctx, id: Gs1Id): PackRecord {
  const p = getPack(c.kv, id.digits!, id.serial!);
  if (!p) throw broken('unknown-pack', c.event.index, `${packName(id)} was never commissioned`, { pack: id.key });
  return p;
}

function requireOwner(c: Ctx, p: PackRecord, id: Gs1Id): void {
  if (p.owner !== c.org) throw broken('not-owner', c.event.index, `${packName(id)} belongs to ${p.owner}, not to ${c.org}`, { pack: id.key });
}

/** The packs an event's identifiers stand for: SGTINs themselves, SSCCs every pack packed inside them. */
function expand(c: Ctx, ids: readonly Gs1Id[]): { packs: Gs1Id[]; containers: string[] } {
  const packs = new Map<string, Gs1Id>();
  const containers: string[] = [];
  const walk = (key: string, depth: number): void => {
    if (depth > 8) return;
    const box = getContainer(c.kv, key);
    if (!box) throw broken('unknown-container', c.event.index, `container ${key} holds nothing on this ledger (no packing event)`, { container: key });
    containers.push(key);
    for (const child of box.children) {
      const [kind, digits, serial] = child.split(':');
      if (kind === 'sgtin') packs.set(child, { kind: 'sgtin', key: child, digits: digits!, serial: decodeURIComponent(serial!) });
      else if (kind === 'sscc') walk(child, depth + 1);
    }
  };
  for (const id of ids) {
    if (id.kind === 'sgtin') packs.set(id.key, id);
    else if (id.kind === 'sscc') walk(id.key, 0);
  }
  for (const k of packs.keys()) c.moved.add(k);
  return { packs: [...packs.values()], containers };
}

function commission(c: Ctx, ids: readonly Gs1Id[]): void {
  for (const id of ids) {
    requireOwnIdentifier(c, id, 'epc');
    if (id.kind !== 'sgtin') continue;
    if (getPack(c.kv, id.digits!, id.serial!)) throw broken('already-commissioned', c.event.index, `${packName(id)} is already commissioned`, { pack: id.key });
    putPack(c.kv, { gtin: id.digits!, serial: id.serial!, lot: c.event.lot, expiry: c.event.expiry, manufacturer: c.org, owner: c.org, status: 'commissioned', before: null, parent: null, shippedTo: null, dispensedBy: null, dispensedAt: null, since: c.time });
  }
}

function pack(c: Ctx, parent: Gs1Id, children: readonly Gs1Id[]): void {
  if (parent.kind !== 'sscc') return;
  const box = getContainer(c.kv, parent.key) ?? { owner: c.org, children: [], parent: null };
  if (box.owner !== c.org) throw broken('not-owner', c.event.index, `container ${parent.key} belongs to ${box.owner}`, { container: parent.key });
  const inside = [...box.children];
  for (const id of children) {
    if (id.kind === 'sgtin') {
      const p = requirePack(c, id);
      requireOwner(c, p, id);
      if (p.parent !== null) throw broken('already-aggregated', c.event.index, `${packName(id)} is already packed in ${p.parent}`, { pack: id.key });
      if (!SHIPPABLE.includes(p.status)) throw broken('not-packable', c.event.index, `${packName(id)} is ${p.status}`, { pack: id.key, status: p.status });
      putPack(c.kv, { ...p, parent: parent.key, status: 'packed' });
    } else if (id.kind === 'sscc') {
      const inner = getContainer(c.kv, id.key);
      if (!inner) throw broken('unknown-container', c.event.index, `container ${id.key} holds nothing on this ledger`, { container: id.key });
      if (inner.owner !== c.org) throw broken('not-owner', c.event.index, `container ${id.key} belongs to ${inner.owner}`, { container: id.key });
      if (inner.parent !== null) throw broken('already-aggregated', c.event.index, `container ${id.key} is already packed in ${inner.parent}`, { container: id.key });
      putContainer(c.kv, id.key, { ...inner, parent: parent.key });
    }
    if (!inside.includes(id.key)) inside.push(id.key);
  }
  putContainer(c.kv, parent.key, { ...box, children: inside });
}

function unpack(c: Ctx, parent: Gs1Id, children: readonly Gs1Id[]): void {
  if (parent.kind !== 'sscc') return;
  const box = getContainer(c.kv, parent.key);
  if (!box) throw broken('unknown-container', c.event.index, `container ${parent.key} holds nothing on this ledger`, { container: parent.key });
  if (box.owner !== c.org) throw broken('not-owner', c.event.index, `container ${parent.key} belongs to ${box.owner}`, { container: parent.key });
  const out = children.length === 0 ? box.children : children.map((x) => x.key).filter((k) => box.children.includes(k));
  for (const k of out) {
    const [kind, digits, serial] = k.split(':');
    if (kind === 'sgtin') {
      const p = getPack(c.kv, digits!, decodeURIComponent(serial!));
      if (p) putPack(c.kv, { ...p, parent: null, status: p.status === 'packed' ? (p.owner === p.manufacturer ? 'commissioned' : 'received') : p.status });
    } else if (kind === 'sscc') {
      const inner = getContainer(c.kv, k);
      if (inner) putContainer(c.kv, k, { ...inner, parent: null });
    }
  }
  putContainer(c.kv, parent.key, { ...box, children: box.children.filter((k) => !out.includes(k)) });
}

function ship(c: Ctx): void {
  const dest = ['owning_party', 'possessing_party', 'location'].map((t) => c.event.destinations.find((d) => d.type === t)).find((d) => d !== undefined);
  const to = dest?.id.digits ? prefixOwner(c.kv, dest.id.digits, 0, dest.id.companyPrefix) : undefined;
  if (!to) throw broken('unknown-destination', c.event.index, 'a shipment names its receiver: a destination (owning party, possessing party or location) whose company prefix is registered on this ledger');
  const { packs, containers } = expand(c, c.event.epcs);
  for (const id of packs) {
    const p = requirePack(c, id);
    requireOwner(c, p, id);
    if (!SHIPPABLE.includes(p.status)) throw broken('not-shippable', c.event.index, `${packName(id)} is ${p.status}`, { pack: id.key, status: p.status });
    putPack(c.kv, { ...p, status: 'shipped', shippedTo: to.org });
  }
  for (const k of containers) {
    const box = getContainer(c.kv, k)!;
    if (box.owner !== c.org) throw broken('not-owner', c.event.index, `container ${k} belongs to ${box.owner}`, { container: k });
  }
}

function receive(c: Ctx): void {
  const { packs, containers } = expand(c, c.event.epcs);
  for (const id of packs) {
    const p = requirePack(c, id);
    if (p.status !== 'shipped') throw broken('not-shipped', c.event.index, `${packName(id)} is ${p.status}, not shipped`, { pack: id.key, status: p.status });
    if (p.shippedTo !== c.org) throw broken('not-shipped-to-receiver', c.event.index, `${packName(id)} was shipped to ${p.shippedTo}, not to ${c.org}`, { pack: id.key });
    putPack(c.kv, { ...p, status: p.parent === null ? 'received' : 'packed', owner: c.org, shippedTo: null });
  }
  for (const k of containers) putContainer(c.kv, k, { ...getContainer(c.kv, k)!, owner: c.org });
}

function dispense(c: Ctx): void {
  for (const id of c.event.epcs.filter((x) => x.kind === 'sgtin')) {
    const p = requirePack(c, id);
    if (p.status === 'dispensed') throw broken('already-dispensed', c.event.index, `${packName(id)} was already dispensed by ${p.dispensedBy}`, { pack: id.key });
    requireOwner(c, p, id);
    if (p.lot !== null && getRecall(c.kv, p.gtin, p.lot)) throw broken('recalled', c.event.index, `${packName(id)} is of recalled lot ${p.lot}`, { pack: id.key });
    if (!DISPENSABLE.includes(p.status)) throw broken('not-dispensable', c.event.index, `${packName(id)} is ${p.status}`, { pack: id.key, status: p.status });
    putPack(c.kv, { ...p, status: 'dispensed', before: p.status, dispensedBy: c.org, dispensedAt: c.time });
  }
}

function setStatus(c: Ctx, status: PackStatus): void {
  for (const id of expand(c, c.event.epcs).packs) {
    const p = requirePack(c, id);
    requireOwner(c, p, id);
    putPack(c.kv, { ...p, status });
  }
}

function applyEvent(c: Ctx): void {
  const e = c.event;
  if (e.eventTime > c.time + EVENT_TIME_SKEW_MS) throw broken('future-event-time', e.index, `eventTime ${new Date(e.eventTime).toISOString()} is after the block's time ${new Date(c.time).toISOString()} by more than ${EVENT_TIME_SKEW_MS / 60_000} minutes`, { field: 'eventTime' });
  if (e.eventID !== null) {
    if (c.kv.has(eventIdKey(e.eventID))) throw broken('duplicate-event', e.index, `eventID ${e.eventID} was captured before`, { field: 'eventID' });
    c.kv.set(eventIdKey(e.eventID), 1);
  }
  requireOwnIdentifier(c, e.readPoint, 'readPoint');
  requireOwnIdentifier(c, e.bizLocation, 'bizLocation');
  const byDisposition = e.disposition === null ? undefined : STATUS_OF_DISPOSITION[e.disposition];
  if (e.type === 'TransformationEvent') commission(c, e.outputs);
  else if (e.type === 'ObjectEvent' && e.action === 'ADD' && (e.bizStep === null || e.bizStep === 'commissioning')) commission(c, e.epcs);
  else if (e.type === 'AggregationEvent' && e.action === 'ADD' && e.parent) pack(c, e.parent, e.children);
  else if (e.type === 'AggregationEvent' && e.action === 'DELETE' && e.parent) unpack(c, e.parent, e.children);
  else if (e.action === 'DELETE') return;
  else if (e.bizStep === 'shipping') ship(c);
  else if (e.bizStep === 'receiving') receive(c);
  else if (e.bizStep === 'dispensing' || e.disposition === 'dispensed') dispense(c);
  else if (e.bizStep === 'decommissioning') setStatus(c, 'decommissioned');
  else if (byDisposition) setStatus(c, byDisposition);
}

/** Applies a checked document for the signer's organisation; returns the sequence numbers of its events. */
export function applyCapture(ctx: TxContext, org: string, doc: CapturedDocument): number[] {
  let seq = (ctx.state.get(seqKey) as number | undefined) ?? 0;
  const seqs: number[] = [];
  for (const event of doc.events) {
    const moved = new Set(event.epcs.filter((x) => x.kind === 'sgtin').map((x) => x.key));
    applyEvent({ kv: ctx.state, org, time: ctx.time, event, moved });
    seq += 1;
    const stored: StoredEvent = { seq, org, capture: toHex(ctx.txHash), recordTime: ctx.time, eventTime: event.eventTime, bizStep: event.bizStep, bizLocation: event.bizLocation?.key ?? null, json: JSON.stringify(event.json) };
    ctx.state.set(eventKey(seq), stored as unknown as Canonical);
    // MATCH_epc's fields (epcList, childEPCs, inputs, outputs); the parent has its own index (MATCH_parentID)
    for (const k of new Set(event.epcs.filter((x) => x !== event.parent).map((x) => x.key))) ctx.state.set(epcIndexKey(k, seq), 1);
    if (event.parent) ctx.state.set(parentIndexKey(event.parent.key, seq), 1);
    for (const k of moved) ctx.state.set(traceKey(k, seq), 1);
    seqs.push(seq);
  }
  ctx.state.set(seqKey, seq);
  return seqs;
}
