import { SalusError, decode, encode, v } from '@salus/core';
import { BLOCK_HASH_BYTES, type VoteType } from './types.js';

/** Steps in signing order within a round. */
export const SIGN_STEP = { none: 0, proposal: 1, prevote: 2, precommit: 3 } as const;
export type SignStep = (typeof SIGN_STEP)[keyof typeof SIGN_STEP];

/** A vote the guard signed at its current height, kept so a restarting node can send it again. */
export interface SignedVoteRecord {
  readonly type: VoteType;
  readonly round: number;
  readonly blockHash: Uint8Array | null;
  readonly signature: Uint8Array;
}

/**
 * The guard's durable state: the last height/round/step signed, the digests of every sign-bytes
 * signed at that height, and the votes among them. Both lists are bounded; dropping an entry only
 * makes the guard stricter (or a restart send less).
 */
export interface SignerState {
  readonly height: number;
  readonly round: number;
  readonly step: SignStep;
  readonly signed: readonly Uint8Array[];
  readonly votes: readonly SignedVoteRecord[];
}

export const emptySignerState: SignerState = { height: 0, round: 0, step: 0, signed: [], votes: [] };

/** Where the guard keeps its state: a file in the node, simulated disk in the simulator. `save` is durable on return. */
export interface SignerStore {
  load(): SignerState | undefined;
  save(state: SignerState): void;
}

export function encodeSignerState(s: SignerState): Uint8Array {
  return encode({
    height: s.height,
    round: s.round,
    step: s.step,
    signed: [...s.signed],
    votes: s.votes.map((x) => ({ type: x.type, round: x.round, blockHash: x.blockHash, signature: x.signature })),
  });
}

export function decodeSignerState(b: Uint8Array): SignerState {
  const o = v.record(decode(b), 'signerState');
  v.onlyKeys(o, ['height', 'round', 'step', 'signed', 'votes'], 'signerState');
  const step = v.uint(o.step, 'signerState.step', 3) as SignStep;
  const signed = v.list(o.signed, 'signerState.signed', 100_000).map((d, i) => v.bytes(d, `signerState.signed[${i}]`, 32));
  const votes = v.list(o.votes, 'signerState.votes', 100_000).map((x, i) => {
    const r = v.record(x, `signerState.votes[${i}]`);
    v.onlyKeys(r, ['type', 'round', 'blockHash', 'signature'], `signerState.votes[${i}]`);
    return {
      type: v.oneOf(r.type, 'type', ['prevote', 'precommit'] as const),
      round: v.uint(r.round, 'round'),
      blockHash: r.blockHash === null ? null : v.bytes(r.blockHash, 'blockHash', BLOCK_HASH_BYTES),
      signature: v.bytes(r.signature, 'signature', 64),
    };
  });
  const s = { height: v.uint(o.height, 'signerState.height'), round: v.uint(o.round, 'signerState.round'), step, signed, votes };
  if (s.step === 0 && (s.signed.length > 0 || s.votes.length > 0)) throw new SalusError('CORRUPT_DATA', 'signer state lists signatures but no step');
  return s;
}

/** An in-memory SignerStore (tests; the simulator keeps its own on simulated disk). */
export function createMemorySignerStore(initial?: SignerState): SignerStore & { current(): SignerState | undefined } {
  let s = initial;
  return {
    load: () => s,
    save: (x) => {
      s = x;
    },
    current: () => s,
  };
}
