import { decode, decodeCommit, encode, v } from '@salus/core';
import type { SyncItem } from './sync-schedule.js';

/**
 * Block sync's messages on the `sync` channel: a node's height, a request for `count` blocks from
 * `from`, and the answer: consecutive blocks from `from` with their commits, as many as fit.
 */
export type SyncMessage =
  | { readonly t: 'status'; readonly height: number }
  | { readonly t: 'get'; readonly from: number; readonly count: number }
  | { readonly t: 'blocks'; readonly items: readonly { readonly block: Uint8Array; readonly commit: Uint8Array }[] };

/** Decodes a sync message strictly; throws a SalusError for anything malformed. */
export function decodeSync(bytes: Uint8Array, blocksMax: number): SyncMessage {
  const o = v.record(decode(bytes, 64 * 1024 * 1024), 'sync');
  const t = v.oneOf(o.t, 'sync.t', ['status', 'get', 'blocks'] as const);
  if (t === 'status') {
    v.onlyKeys(o, ['t', 'height'], 'sync');
    return { t, height: v.uint(o.height, 'sync.height') };
  }
  if (t === 'get') {
    v.onlyKeys(o, ['t', 'from', 'count'], 'sync');
    return { t, from: v.uint(o.from, 'sync.from'), count: v.uint(o.count, 'sync.count', blocksMax) };
  }
  v.onlyKeys(o, ['t', 'items'], 'sync');
  const items = v.list(o.items, 'sync.items', blocksMax).map((x, i) => {
    const r = v.record(x, `sync.items[${i}]`);
    v.onlyKeys(r, ['block', 'commit'], `sync.items[${i}]`);
    return { block: v.bytes(r.block, 'block'), commit: v.bytes(r.commit, 'commit') };
  });
  return { t, items };
}

/**
 * The heights of an answer's blocks, read from their commits (small, unlike the blocks, which are
 * decoded only when their turn to be committed comes; the Chain checks the block is the commit's).
 */
export function itemsWithHeights(items: readonly { readonly block: Uint8Array; readonly commit: Uint8Array }[]): SyncItem[] {
  return items.map((x) => ({ height: decodeCommit(x.commit).height, block: x.block, commit: x.commit }));
}

export function statusMessage(height: number): Uint8Array {
  return encode({ t: 'status', height });
}

export function getMessage(from: number, count: number): Uint8Array {
  return encode({ t: 'get', from, count });
}

export function blocksMessage(items: readonly { readonly block: Uint8Array; readonly commit: Uint8Array }[]): Uint8Array {
  return encode({ t: 'blocks', items: items.map((x) => ({ block: x.block, commit: x.commit })) });
}
