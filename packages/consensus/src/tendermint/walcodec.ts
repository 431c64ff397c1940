import { SalusError, decode, encode, v } from '@salus/core';
import { PROPOSAL_KEYS, VOTE_KEYS, block, height, proposalFields, readProposal, readVote, round, voteFields } from './fields.js';
import type { TendermintInput } from './io.js';
import { MESSAGE_OVERHEAD_BYTES } from './codec.js';
import { type TendermintOptions, defaultTendermintOptions } from './options.js';

/**
 * Canonical bytes for WAL entries, so a WAL on disk (or simulated disk) is checked when read back
 * like anything else that crosses a trust boundary.
 */
export function encodeInput(input: TendermintInput): Uint8Array {
  switch (input.kind) {
    case 'newHeight':
      return encode({ kind: input.kind, height: input.height, validators: input.validators.map((x) => ({ pubKey: x.pubKey, power: x.power })) });
    case 'proposal':
      return encode({ kind: input.kind, proposal: proposalFields(input.proposal), block: input.block, valid: input.valid });
    case 'vote':
      return encode({ kind: input.kind, vote: voteFields(input.vote) });
    case 'timeout':
      return encode({ kind: input.kind, height: input.height, round: input.round, step: input.step });
    case 'value':
      return encode({ kind: input.kind, height: input.height, round: input.round, block: input.block, blockHash: input.blockHash });
  }
}

type WalLimits = Pick<TendermintOptions, 'blockBytesMax' | 'roundMax' | 'validatorsMax'>;

export function decodeInput(bytes: Uint8Array, limits: WalLimits = defaultTendermintOptions): TendermintInput {
  const o = v.record(decode(bytes, limits.blockBytesMax + MESSAGE_OVERHEAD_BYTES + limits.validatorsMax * 64), 'walEntry');
  const kind = v.oneOf(o.kind, 'walEntry.kind', ['newHeight', 'proposal', 'vote', 'timeout', 'value'] as const);
  switch (kind) {
    case 'newHeight': {
      v.onlyKeys(o, ['kind', 'height', 'validators'], 'newHeight');
      const validators = v.list(o.validators, 'newHeight.validators', limits.validatorsMax).map((x, i) => {
        const r = v.record(x, `newHeight.validators[${i}]`);
        v.onlyKeys(r, ['pubKey', 'power'], `newHeight.validators[${i}]`);
        return { pubKey: v.bytes(r.pubKey, 'pubKey', 32), power: v.uint(r.power, 'power') };
      });
      return { kind, height: height(o.height, 'newHeight.height'), validators };
    }
    case 'proposal': {
      v.onlyKeys(o, ['kind', 'proposal', 'block', 'valid'], 'proposalInput');
      const p = v.record(o.proposal, 'proposalInput.proposal');
      v.onlyKeys(p, PROPOSAL_KEYS, 'proposalInput.proposal');
      if (typeof o.valid !== 'boolean') throw new SalusError('INVALID_FIELD', 'proposalInput.valid must be a boolean');
      return { kind, proposal: readProposal(p, 'proposal', limits), block: block(o.block, 'proposalInput.block', limits.blockBytesMax), valid: o.valid };
    }
    case 'vote': {
      v.onlyKeys(o, ['kind', 'vote'], 'voteInput');
      const x = v.record(o.vote, 'voteInput.vote');
      v.onlyKeys(x, VOTE_KEYS, 'voteInput.vote');
      return { kind, vote: readVote(x, 'vote', limits) };
    }
    case 'timeout':
      v.onlyKeys(o, ['kind', 'height', 'round', 'step'], 'timeoutInput');
      return {
        kind,
        height: height(o.height, 'timeout.height'),
        round: round(o.round, 'timeout.round', limits),
        step: v.oneOf(o.step, 'timeout.step', ['propose', 'prevote', 'precommit'] as const),
      };
    case 'value':
      v.onlyKeys(o, ['kind', 'height', 'round', 'block', 'blockHash'], 'valueInput');
      return {
        kind,
        height: height(o.height, 'value.height'),
        round: round(o.round, 'value.round', limits),
        block: block(o.block, 'value.block', limits.blockBytesMax),
        blockHash: v.bytes(o.blockHash, 'value.blockHash', 32),
      };
  }
}
