import type { KV } from '@salus/module';
import type { Canonical } from '@salus/core';

/**
 * The keys the supply module owns, all under `supply/` (ADR 0015): company prefixes and the
 * organisation each is registered to; one record per serialised pack (its state machine), per
 * container (SSCC: what is packed in it) and per recalled lot; the captured events in capture
 * order with an index per identifier named, one per parent and one per pack moved (for its trace); and each
 * event id once.
 */
export type PackStatus = 'commissioned' | 'packed' | 'shipped' | 'received' | 'dispensed' | 'decommissioned' | 'destroyed' | 'stolen' | 'recalled' | 'suspect' | 'expired';

export interface PackRecord {
  readonly gtin: string;
  readonly serial: string;
  readonly lot: string | null;
  readonly expiry: string | null;
  readonly manufacturer: string;
  readonly owner: string;
  readonly status: PackStatus;
  /** the status before a dispense, restored by an undo */
  readonly before: PackStatus | null;
  /** the SSCC key of the container it is packed in */
  readonly parent: string | null;
  readonly shippedTo: string | null;
  readonly dispensedBy: string | null;
  readonly dispensedAt: number | null;
  readonly since: number;
}

export interface ContainerRecord {
  readonly owner: string;
  /** identifier keys (packs and inner containers) */
  readonly children: readonly string[];
  readonly parent: string | null;
}

export interface StoredEvent {
  readonly seq: number;
  readonly org: string;
  readonly capture: string;
  readonly recordTime: number;
  readonly eventTime: number;
  readonly bizStep: string | null;
  readonly bizLocation: string | null;
  /** the event's JSON text as captured */
  readonly json: string;
}

export const seqKey = 'supply/seq';
export const prefixKey = (digits: string) => `supply/prefix/${digits}`;
export const packKey = (gtin: string, serial: string) => `supply/pack/${gtin}/${encodeURIComponent(serial)}`;
export const containerKey = (sscc: string) => `supply/container/${sscc}`;
export const recallKey = (gtin: string, lot: string) => `supply/recall/${gtin}/${encodeURIComponent(lot)}`;
export const EVENT_PREFIX = 'supply/event/';
const pad = (n: number) => String(n).padStart(16, '0');
export const eventKey = (seq: number) => `${EVENT_PREFIX}${pad(seq)}`;
export const epcIndexPrefix = (idKey: string) => `supply/epc/${encodeURIComponent(idKey)}/`;
export const epcIndexKey = (idKey: string, seq: number) => `${epcIndexPrefix(idKey)}${pad(seq)}`;
/** events whose parentID is an identifier (EPCIS's MATCH_parentID) */
export const parentIndexPrefix = (idKey: string) => `supply/parent-of/${encodeURIComponent(idKey)}/`;
export const parentIndexKey = (idKey: string, seq: number) => `${parentIndexPrefix(idKey)}${pad(seq)}`;
/** every event that moved a pack, directly or through a container it was packed in */
export const tracePrefix = (packIdKey: string) => `supply/trace/${encodeURIComponent(packIdKey)}/`;
export const traceKey = (packIdKey: string, seq: number) => `${tracePrefix(packIdKey)}${pad(seq)}`;
export const eventIdKey = (id: string) => `supply/eventid/${encodeURIComponent(id)}`;

export const getPack = (kv: KV, gtin: string, serial: string) => kv.get(packKey(gtin, serial)) as PackRecord | undefined;
export const putPack = (kv: KV, p: PackRecord) => kv.set(packKey(p.gtin, p.serial), p as unknown as Canonical);
export const getContainer = (kv: KV, sscc: string) => kv.get(containerKey(sscc)) as ContainerRecord | undefined;
export const putContainer = (kv: KV, sscc: string, c: ContainerRecord) => kv.set(containerKey(sscc), c as unknown as Canonical);
export const getRecall = (kv: KV, gtin: string, lot: string) => kv.get(recallKey(gtin, lot)) as { readonly by: string; readonly reason: string; readonly height: number; readonly time: number } | undefined;

/** The organisation a company prefix is registered to: the longest registered prefix of `digits` from `from` on. */
export function prefixOwner(kv: KV, digits: string, from: number, stated?: string): { prefix: string; org: string } | undefined {
  const tries = stated !== undefined ? [stated] : Array.from({ length: 7 }, (_, i) => digits.slice(from, from + 12 - i));
  for (const p of tries) {
    const org = kv.get(prefixKey(p)) as string | undefined;
    if (org !== undefined) return { prefix: p, org };
  }
  return undefined;
}
