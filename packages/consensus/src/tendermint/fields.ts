import { type Canonical, SalusError, v } from '@salus/core';
import { BLOCK_HASH_BYTES, type Proposal, type Vote } from './types.js';

/** Field-level encoders and strict decoders shared by the wire codec, the WAL codec and evidence. */

export interface FieldLimits {
  readonly roundMax: number;
}

export function proposalFields(p: Proposal): { [k: string]: Canonical } {
  return { height: p.height, round: p.round, polRound: p.polRound, blockHash: p.blockHash, proposer: p.proposer, signature: p.signature };
}

export function voteFields(x: Vote): { [k: string]: Canonical } {
  return { type: x.type, height: x.height, round: x.round, blockHash: x.blockHash, validator: x.validator, signature: x.signature };
}

export const PROPOSAL_KEYS = ['height', 'round', 'polRound', 'blockHash', 'proposer', 'signature'] as const;
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
