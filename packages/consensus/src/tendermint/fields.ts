import { type Canonical, SalusError, v } from '@salus/core';
import { PARTS_TOTAL_MAX, PART_PROOF_HASHES_MAX, PART_REQUEST_INDICES_MAX, type PartMessage, type PartRequest, type PartSetHeader } from './parts.js';
import { BLOCK_HASH_BYTES, type Proposal, type Vote } from './types.js';

/** Field-level encoders and strict decoders shared by the wire codec, the WAL codec and evidence. */

export interface FieldLimits {
  readonly roundMax: number;
  /** the most parts a proposal's part set may have (default PARTS_TOTAL_MAX) */
  readonly partsMax?: number;
}

export function proposalFields(p: Proposal): { [k: string]: Canonical } {
  return {
    height: p.height,
    round: p.round,
    polRound: p.polRound,
    blockHash: p.blockHash,
    parts: { total: p.parts.total, root: p.parts.root },
    proposer: p.proposer,
    signature: p.signature,
  };
}

export function voteFields(x: Vote): { [k: string]: Canonical } {
  return { type: x.type, height: x.height, round: x.round, blockHash: x.blockHash, validator: x.validator, signature: x.signature };
}

export const PROPOSAL_KEYS = ['height', 'round', 'polRound', 'blockHash', 'parts', 'proposer', 'signature'] as const;
export const VOTE_KEYS = ['type', 'height', 'round', 'blockHash', 'validator', 'signature'] as const;

export function height(x: unknown, field: string): number {
  const h = v.uint(x, field);
  if (h < 1) throw new SalusError('INVALID_FIELD', `${field} must be at least 1`, { field });
  return h;
}

export function round(x: unknown, field: string, limits: FieldLimits): number {
  return v.uint(x, field, limits.roundMax);
}

export function readProposal(o: Record<string, unknown>, field: string, limits: FieldLimits): Proposal {
  const r = round(o.round, `${field}.round`, limits);
  const pol = o.polRound;
  if (typeof pol !== 'number' || !Number.isSafeInteger(pol) || pol < -1 || pol >= r) {
    throw new SalusError('INVALID_FIELD', `${field}.polRound must be -1 or a round before ${r}`, { field: `${field}.polRound` });
  }
  return {
    height: height(o.height, `${field}.height`),
    round: r,
    polRound: pol,
    blockHash: v.bytes(o.blockHash, `${field}.blockHash`, BLOCK_HASH_BYTES),
    parts: readPartSetHeader(o.parts, `${field}.parts`, limits.partsMax ?? PARTS_TOTAL_MAX),
    proposer: v.bytes(o.proposer, `${field}.proposer`, 32),
    signature: v.bytes(o.signature, `${field}.signature`, 64),
  };
}

export function readVote(o: Record<string, unknown>, field: string, limits: FieldLimits): Vote {
  return {
    type: v.oneOf(o.type, `${field}.type`, ['prevote', 'precommit'] as const),
    height: height(o.height, `${field}.height`),
    round: round(o.round, `${field}.round`, limits),
    blockHash: o.blockHash === null ? null : v.bytes(o.blockHash, `${field}.blockHash`, BLOCK_HASH_BYTES),
    validator: v.bytes(o.validator, `${field}.validator`, 32),
    signature: v.bytes(o.signature, `${field}.signature`, 64),
  };
}

export function block(x: unknown, field: string, blockBytesMax: number): Uint8Array {
  const b = v.bytes(x, field);
  if (b.length > blockBytesMax) throw new SalusError('OVERSIZE', `${field} of ${b.length} bytes exceeds ${blockBytesMax}`, { field });
  return b;
}

export function readPartSetHeader(x: unknown, field: string, partsMax: number): PartSetHeader {
  const o = v.record(x, field);
  v.onlyKeys(o, ['total', 'root'], field);
  const total = v.uint(o.total, `${field}.total`, partsMax);
  if (total < 1) throw new SalusError('INVALID_FIELD', `${field}.total must be at least 1`, { field: `${field}.total` });
  return { total, root: v.bytes(o.root, `${field}.root`, 32) };
}

export function partMessageFields(m: PartMessage): { [k: string]: Canonical } {
  return { height: m.height, round: m.round, root: m.root, index: m.part.index, bytes: m.part.bytes, proof: [...m.part.proof] };
}

export const PART_KEYS = ['height', 'round', 'root', 'index', 'bytes', 'proof'] as const;

export function readPartMessage(o: Record<string, unknown>, field: string, limits: FieldLimits & { readonly partBytes: number }): PartMessage {
  const proof = v.list(o.proof, `${field}.proof`, PART_PROOF_HASHES_MAX).map((h, i) => v.bytes(h, `${field}.proof[${i}]`, 32));
  const bytes = block(o.bytes, `${field}.bytes`, limits.partBytes);
  return {
    height: height(o.height, `${field}.height`),
    round: round(o.round, `${field}.round`, limits),
    root: v.bytes(o.root, `${field}.root`, 32),
    part: { index: v.uint(o.index, `${field}.index`, (limits.partsMax ?? PARTS_TOTAL_MAX) - 1), bytes, proof },
  };
}

export function partRequestFields(r: PartRequest): { [k: string]: Canonical } {
  return { height: r.height, round: r.round, root: r.root, indices: [...r.indices] };
}

export const PART_REQUEST_KEYS = ['height', 'round', 'root', 'indices'] as const;

export function readPartRequest(o: Record<string, unknown>, field: string, limits: FieldLimits): PartRequest {
  const max = (limits.partsMax ?? PARTS_TOTAL_MAX) - 1;
  const indices = v.list(o.indices, `${field}.indices`, PART_REQUEST_INDICES_MAX).map((i, k) => v.uint(i, `${field}.indices[${k}]`, max));
  return { height: height(o.height, `${field}.height`), round: round(o.round, `${field}.round`, limits), root: v.bytes(o.root, `${field}.root`, 32), indices };
}
