import { SalusError, checkChainId, decode, encode, v } from '@salus/core';
import { PROPOSAL_KEYS, VOTE_KEYS, block, proposalFields, readProposal, readVote, voteFields } from './fields.js';
import { type TendermintOptions, defaultTendermintOptions } from './options.js';
import type { ConsensusMessage, DuplicateVoteEvidence } from './types.js';

/**
 * Wire codec: canonical CBOR maps with the chain id, so a message for another chain is refused
 * before any signature work (the signature binds the chain id as well). Decoding is strict:
 * canonical form, known keys only, typed fields, size limits — every failure a SalusError
 * (MALFORMED_ENCODING, INVALID_FIELD, OVERSIZE, WRONG_CHAIN).
 */
export interface CodecLimits {
  readonly chainId: string;
  readonly blockBytesMax: number;
  readonly roundMax: number;
}

/** Room for everything in a proposal message besides its block. */
export const MESSAGE_OVERHEAD_BYTES = 1024;

export function codecLimits(chainId: string, opts: Pick<TendermintOptions, 'blockBytesMax' | 'roundMax'> = defaultTendermintOptions): CodecLimits {
  return { chainId, blockBytesMax: opts.blockBytesMax, roundMax: opts.roundMax };
}

export function encodeMessage(chainId: string, msg: ConsensusMessage): Uint8Array {
  checkChainId(chainId);
  if (msg.kind === 'proposal') return encode({ chainId, kind: 'proposal', ...proposalFields(msg.proposal), block: msg.block });
  return encode({ chainId, kind: 'vote', ...voteFields(msg.vote) });
}

export function decodeMessage(bytes: Uint8Array, limits: CodecLimits): ConsensusMessage {
  const o = v.record(decode(bytes, limits.blockBytesMax + MESSAGE_OVERHEAD_BYTES), 'message');
  checkChain(o.chainId, limits.chainId);
  const kind = v.oneOf(o.kind, 'message.kind', ['proposal', 'vote'] as const);
  if (kind === 'proposal') {
    v.onlyKeys(o, ['chainId', 'kind', ...PROPOSAL_KEYS, 'block'], 'proposal');
    return { kind, proposal: readProposal(o, 'proposal', limits), block: block(o.block, 'proposal.block', limits.blockBytesMax) };
  }
  v.onlyKeys(o, ['chainId', 'kind', ...VOTE_KEYS], 'vote');
  return { kind, vote: readVote(o, 'vote', limits) };
}

export function encodeEvidence(chainId: string, ev: DuplicateVoteEvidence): Uint8Array {
  checkChainId(chainId);
  return encode({ chainId, kind: 'duplicateVote', voteA: voteFields(ev.voteA), voteB: voteFields(ev.voteB) });
}

/** Decodes evidence (shape only); check it with `verifyDuplicateVoteEvidence`. */
export function decodeEvidence(bytes: Uint8Array, limits: Omit<CodecLimits, 'blockBytesMax'>): DuplicateVoteEvidence {
  const o = v.record(decode(bytes, MESSAGE_OVERHEAD_BYTES), 'evidence');
  checkChain(o.chainId, limits.chainId);
  v.onlyKeys(o, ['chainId', 'kind', 'voteA', 'voteB'], 'evidence');
  v.oneOf(o.kind, 'evidence.kind', ['duplicateVote'] as const);
  const a = v.record(o.voteA, 'evidence.voteA');
  const b = v.record(o.voteB, 'evidence.voteB');
  v.onlyKeys(a, VOTE_KEYS, 'evidence.voteA');
  v.onlyKeys(b, VOTE_KEYS, 'evidence.voteB');
  return { voteA: readVote(a, 'evidence.voteA', limits), voteB: readVote(b, 'evidence.voteB', limits) };
}

function checkChain(got: unknown, want: string): void {
  const id = v.str(got, 'message.chainId', 64);
  if (id !== want) throw new SalusError('WRONG_CHAIN', `message is for chain "${id}", this is "${want}"`);
}
