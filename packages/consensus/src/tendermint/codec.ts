import { SalusError, checkChainId, decode, encode, v } from '@salus/core';
import {
  PART_KEYS,
  PART_REQUEST_KEYS,
  PROPOSAL_KEYS,
  VOTE_KEYS,
  partMessageFields,
  partRequestFields,
  proposalFields,
  readPartMessage,
  readPartRequest,
  readProposal,
  readVote,
  voteFields,
} from './fields.js';
import { type TendermintOptions, defaultTendermintOptions } from './options.js';
import { partsMax } from './parts.js';
import type { WireMessage } from './types.js';

/**
 * Wire codec: canonical CBOR maps with the chain id, so a message for another chain is refused
 * before any signature work (the signature binds the chain id as well). Decoding is strict:
 * canonical form, known keys only, typed fields, size limits — every failure a SalusError
 * (MALFORMED_ENCODING, INVALID_FIELD, OVERSIZE, WRONG_CHAIN). A proposal travels without its
 * block; the block follows in parts of `blockPartBytes` (`parts.ts`), so no message is larger than
 * one part and its proof.
 */
export interface CodecLimits {
  readonly chainId: string;
  readonly blockBytesMax: number;
  readonly roundMax: number;
  readonly blockPartBytes: number;
}

/** Room for everything in a message besides a part's bytes (keys, heights, root, a proof of ≤ 20 hashes). */
export const MESSAGE_OVERHEAD_BYTES = 1024;

/** The largest wire message: one part, its proof, and the rest; or a request for many parts. */
export function wireBytesMax(limits: Pick<CodecLimits, 'blockPartBytes'>): number {
  return Math.max(limits.blockPartBytes, 8 * 1024) + MESSAGE_OVERHEAD_BYTES;
}

export function codecLimits(chainId: string, opts: Pick<TendermintOptions, 'blockBytesMax' | 'roundMax' | 'blockPartBytes'> = defaultTendermintOptions): CodecLimits {
  return { chainId, blockBytesMax: opts.blockBytesMax, roundMax: opts.roundMax, blockPartBytes: opts.blockPartBytes };
}

export function encodeMessage(chainId: string, msg: WireMessage): Uint8Array {
  checkChainId(chainId);
  switch (msg.kind) {
    case 'proposal':
      return encode({ chainId, kind: 'proposal', ...proposalFields(msg.proposal) });
    case 'vote':
      return encode({ chainId, kind: 'vote', ...voteFields(msg.vote) });
    case 'blockPart':
      return encode({ chainId, kind: 'blockPart', ...partMessageFields(msg.part) });
    case 'partRequest':
      return encode({ chainId, kind: 'partRequest', ...partRequestFields(msg.request) });
  }
}

export function decodeMessage(bytes: Uint8Array, limits: CodecLimits): WireMessage {
  const o = v.record(decode(bytes, wireBytesMax(limits)), 'message');
  checkChain(o.chainId, limits.chainId);
  const kind = v.oneOf(o.kind, 'message.kind', ['proposal', 'vote', 'blockPart', 'partRequest'] as const);
  const fieldLimits = { roundMax: limits.roundMax, partsMax: partsMax(limits.blockBytesMax, limits.blockPartBytes), partBytes: limits.blockPartBytes };
  switch (kind) {
    case 'proposal':
      v.onlyKeys(o, ['chainId', 'kind', ...PROPOSAL_KEYS], 'proposal');
      return { kind, proposal: readProposal(o, 'proposal', fieldLimits) };
    case 'vote':
      v.onlyKeys(o, ['chainId', 'kind', ...VOTE_KEYS], 'vote');
      return { kind, vote: readVote(o, 'vote', fieldLimits) };
    case 'blockPart':
      v.onlyKeys(o, ['chainId', 'kind', ...PART_KEYS], 'blockPart');
      return { kind, part: readPartMessage(o, 'blockPart', fieldLimits) };
    case 'partRequest':
      v.onlyKeys(o, ['chainId', 'kind', ...PART_REQUEST_KEYS], 'partRequest');
      return { kind, request: readPartRequest(o, 'partRequest', fieldLimits) };
  }
}

export function checkChain(got: unknown, want: string): void {
  const id = v.str(got, 'message.chainId', 64);
  if (id !== want) throw new SalusError('WRONG_CHAIN', `message is for chain "${id}", this is "${want}"`);
}
