import { SalusError, decode, v } from '@salus/core';
import { parseItem, type AnchorItem } from '@salus/client';

/**
 * The body of `POST /v1/anchors/items`: `{ items: [item, …] }` or `{ item }`, as canonical CBOR
 * (bytes as byte strings) or JSON (bytes as hex). Any malformed item refuses the whole request,
 * naming it: nothing of a bad request is kept.
 */
export function parseItemsBody(body: unknown, o: { itemsMax: number; cborBytesMax: number }): AnchorItem[] {
  let form: 'cbor' | 'json';
  let value: unknown;
  if (Buffer.isBuffer(body)) {
    form = 'cbor';
    value = decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), o.cborBytesMax);
  } else if (body !== undefined && body !== null) {
    form = 'json';
    value = body;
  } else throw new SalusError('UNSUPPORTED_MEDIA_TYPE', 'send {"items": […]} as application/json or application/cbor');
  const r = v.record(value, 'body');
  v.onlyKeys(r, ['items', 'item'], 'body');
  if ((r.items === undefined) === (r.item === undefined)) throw new SalusError('INVALID_FIELD', 'the body has either items (a list) or item (one)', { field: 'items' });
  if (r.item !== undefined) return [parseItem(r.item, 'item', form)];
  if (Array.isArray(r.items) && r.items.length > o.itemsMax) throw new SalusError('OVERSIZE', `a request carries at most ${o.itemsMax} items; this one has ${r.items.length}`, { itemsMax: o.itemsMax });
  const items = v.list(r.items, 'items', o.itemsMax);
  if (items.length === 0) throw new SalusError('INVALID_FIELD', 'items is empty', { field: 'items' });
  return items.map((x, i) => parseItem(x, `items[${i}]`, form));
}
