import { type Canonical, type SmtPosition, SalusError, decode, encode, smtPositionValid, v } from '@salus/core';
import type { SnapshotEntry, SnapshotPiece } from '../state/snapshot-read.js';

/** Positions asked in one chunk request. */
export const POSITIONS_PER_REQUEST_MAX = 256;
/** Heights in one headers request or snapshot offer. */
export const HEADERS_PER_REQUEST_MAX = 1000;

/**
 * State sync's messages on the `snapshot` channel (CometBFT's snapshot and chunk channels in one):
 *   offers?  → offers: the snapshot heights a peer serves
 *   headers? → headers: consecutive headers with their commits, as many as fit (the light chain)
 *   valset?  → valset: the validator set that signs a height
 *   block?   → block: the snapshot height's block with its commit and transaction results
 *   chunk?   → chunk: for positions of the tree at a snapshot height, each subtree's entries or
 *              its inner node's two child hashes; empty when the height is no longer kept
 */
export type SnapshotMessage =
  | { readonly t: 'offers?' }
  | { readonly t: 'offers'; readonly heights: readonly number[] }
  | { readonly t: 'headers?'; readonly from: number; readonly count: number }
  | { readonly t: 'headers'; readonly items: readonly { readonly header: Uint8Array; readonly commit: Uint8Array }[] }
  | { readonly t: 'valset?'; readonly height: number }
  | { readonly t: 'valset'; readonly height: number; readonly validators: Uint8Array }
  | { readonly t: 'block?'; readonly height: number }
  | { readonly t: 'block'; readonly height: number; readonly block: Uint8Array; readonly commit: Uint8Array; readonly results: readonly Uint8Array[] }
  | { readonly t: 'chunk?'; readonly id: number; readonly height: number; readonly positions: readonly SmtPosition[] }
  | { readonly t: 'chunk'; readonly id: number; readonly height: number; readonly pieces: readonly SnapshotPiece[] };

const TYPES = ['offers?', 'offers', 'headers?', 'headers', 'valset?', 'valset', 'block?', 'block', 'chunk?', 'chunk'] as const;

/** Decodes a snapshot-channel message strictly; anything malformed is a SalusError (INVALID_FIELD, MALFORMED_ENCODING). */
export function decodeSnapshotMessage(bytes: Uint8Array, bytesMax: number): SnapshotMessage {
  const o = v.record(decode(bytes, bytesMax), 'snapshot');
  const t = v.oneOf(o.t, 'snapshot.t', TYPES);
  const only = (...keys: string[]) => v.onlyKeys(o, ['t', ...keys], 'snapshot');
  switch (t) {
    case 'offers?':
      only();
      return { t };
    case 'offers':
      only('heights');
      return { t, heights: v.list(o.heights, 'snapshot.heights', HEADERS_PER_REQUEST_MAX).map((h) => v.uint(h, 'snapshot.heights[]')) };
    case 'headers?':
      only('from', 'count');
      return { t, from: v.uint(o.from, 'snapshot.from'), count: v.uint(o.count, 'snapshot.count', HEADERS_PER_REQUEST_MAX) };
    case 'headers':
      only('items');
      return {
        t,
        items: v.list(o.items, 'snapshot.items', HEADERS_PER_REQUEST_MAX).map((x) => {
          const r = v.record(x, 'snapshot.items[]');
          v.onlyKeys(r, ['header', 'commit'], 'snapshot.items[]');
          return { header: v.bytes(r.header, 'header'), commit: v.bytes(r.commit, 'commit') };
        }),
      };
    case 'valset?':
    case 'block?':
      only('height');
      return { t, height: v.uint(o.height, 'snapshot.height') };
    case 'valset':
      only('height', 'validators');
      return { t, height: v.uint(o.height, 'snapshot.height'), validators: v.bytes(o.validators, 'snapshot.validators') };
    case 'block':
      only('height', 'block', 'commit', 'results');
      return {
        t,
        height: v.uint(o.height, 'snapshot.height'),
        block: v.bytes(o.block, 'snapshot.block'),
        commit: v.bytes(o.commit, 'snapshot.commit'),
        results: v.list(o.results, 'snapshot.results', 1_000_000).map((r) => v.bytes(r, 'snapshot.results[]')),
      };
    case 'chunk?':
      only('id', 'height', 'positions');
      return { t, id: v.uint(o.id, 'snapshot.id'), height: v.uint(o.height, 'snapshot.height'), positions: v.list(o.positions, 'snapshot.positions', POSITIONS_PER_REQUEST_MAX).map(position) };
    case 'chunk':
      only('id', 'height', 'pieces');
      return { t, id: v.uint(o.id, 'snapshot.id'), height: v.uint(o.height, 'snapshot.height'), pieces: v.list(o.pieces, 'snapshot.pieces', POSITIONS_PER_REQUEST_MAX).map(piece) };
  }
}

function position(x: unknown): SmtPosition {
  const r = v.record(x, 'snapshot.positions[]');
  v.onlyKeys(r, ['d', 'p'], 'snapshot.positions[]');
  const p = { depth: v.uint(r.d, 'snapshot.positions[].d', 255), prefix: v.bytes(r.p, 'snapshot.positions[].p') };
  if (!smtPositionValid(p)) throw new SalusError('INVALID_FIELD', 'a snapshot position\'s prefix does not match its depth', { field: 'snapshot.positions[]' });
  return p;
}

function piece(x: unknown): SnapshotPiece {
  const r = v.record(x, 'snapshot.pieces[]');
  if ('s' in r) {
    v.onlyKeys(r, ['s'], 'snapshot.pieces[]');
    const s = v.list(r.s, 'snapshot.pieces[].s', 2);
    if (s.length !== 2) throw new SalusError('INVALID_FIELD', 'a split names two children', { field: 'snapshot.pieces[].s' });
    return { split: [v.bytes(s[0], 'split', 32), v.bytes(s[1], 'split', 32)] };
  }
  v.onlyKeys(r, ['e'], 'snapshot.pieces[]');
  const entries: SnapshotEntry[] = v.list(r.e, 'snapshot.pieces[].e', 10_000_000).map((e) => {
    const kv = v.list(e, 'snapshot.pieces[].e[]', 2);
    if (kv.length !== 2) throw new SalusError('INVALID_FIELD', 'an entry is [key, value]', { field: 'snapshot.pieces[].e[]' });
    return { key: v.bytes(kv[0], 'key'), value: v.bytes(kv[1], 'value') };
  });
  return { entries };
}

export function encodeSnapshotMessage(m: SnapshotMessage): Uint8Array {
  switch (m.t) {
    case 'chunk?':
      return encode({ t: m.t, id: m.id, height: m.height, positions: m.positions.map((p) => ({ d: p.depth, p: p.prefix })) });
    case 'chunk':
      return encode({ t: m.t, id: m.id, height: m.height, pieces: m.pieces.map((p): Canonical => ('split' in p ? { s: [...p.split] } : { e: p.entries.map((e) => [e.key, e.value]) })) });
    default:
      return encode(m as never);
  }
}
