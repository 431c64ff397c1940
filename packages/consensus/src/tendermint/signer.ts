import { type Ed25519, SalusError, bytesEqual, decode, encode, sha256, v } from '@salus/core';
import { proposalSignBytes, voteSignBytes } from './signbytes.js';
import type { VoteType } from './types.js';

/** What the state machine asks its signer to sign. */
export type SignRequest =
  | { readonly kind: 'proposal'; readonly chainId: string; readonly height: number; readonly round: number; readonly polRound: number; readonly blockHash: Uint8Array }
  | { readonly kind: 'vote'; readonly chainId: string; readonly type: VoteType; readonly height: number; readonly round: number; readonly blockHash: Uint8Array | null };

export type SignResult = { readonly ok: true; readonly signature: Uint8Array } | { readonly ok: false; readonly reason: string };

/**
 * The private validator (CometBFT's privval): the only holder of the consensus key. It must refuse
 * anything that could conflict with what it signed before, and make that record durable before a
 * signature leaves it. It MAY sign again bytes it already signed (Ed25519 is deterministic, so
 * this yields the same signature): that is what lets a WAL replay reproduce the state exactly.
 */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(req: SignRequest): SignResult;
}

/** Steps in signing order within a round. */
export const SIGN_STEP = { none: 0, proposal: 1, prevote: 2, precommit: 3 } as const;
export type SignStep = (typeof SIGN_STEP)[keyof typeof SIGN_STEP];

/** The guard's durable state: the last height/round/step signed, and digests of all signed at that height. */
export interface SignerState {
  readonly height: number;
  readonly round: number;
  readonly step: SignStep;
  /** sha256 of each sign-bytes signed at `height` (bounded; dropping one only makes the guard stricter) */
  readonly signed: readonly Uint8Array[];
}

export const emptySignerState: SignerState = { height: 0, round: 0, step: 0, signed: [] };

/** Where the guard keeps its state: a file in the node, simulated disk in the simulator. `save` is durable on return. */
export interface SignerStore {
  load(): SignerState | undefined;
  save(state: SignerState): void;
}

export interface GuardedSignerOptions {
  /** digests kept for the current height (≥ 3 per round the height lasts is ample) */
  readonly signedHistoryMax: number;
}

export const defaultGuardedSignerOptions: GuardedSignerOptions = { signedHistoryMax: 300 };

export function signRequestBytes(req: SignRequest): Uint8Array {
  return req.kind === 'proposal' ? proposalSignBytes(req.chainId, req) : voteSignBytes(req.chainId, req);
}

function stepOf(req: SignRequest): SignStep {
  return req.kind === 'proposal' ? SIGN_STEP.proposal : req.type === 'prevote' ? SIGN_STEP.prevote : SIGN_STEP.precommit;
}

function compareHrs(a: { height: number; round: number; step: number }, b: { height: number; round: number; step: number }): number {
  return a.height - b.height || a.round - b.round || a.step - b.step;
}

/**
 * Decides whether a request may be signed given the guard's state (pure; exported for tests).
 * Returns the next state, or a refusal reason.
 */
export function guardCheck(state: SignerState, req: SignRequest, digest: Uint8Array, historyMax: number): { next: SignerState | null } | { refused: string } {
  const hrs = { height: req.height, round: req.round, step: stepOf(req) };
  if (state.height === req.height && state.signed.some((d) => bytesEqual(d, digest))) return { next: null };
  const c = compareHrs(hrs, state);
  if (c === 0) return { refused: `already signed a different ${req.kind === 'proposal' ? 'proposal' : req.type} at height ${req.height} round ${req.round}` };
  if (c < 0) return { refused: `height/round/step regression: asked for ${req.height}/${req.round}/${hrs.step}, last signed ${state.height}/${state.round}/${state.step}` };
  const signed = state.height === req.height ? [...state.signed, digest].slice(-historyMax) : [digest];
  return { next: { height: hrs.height, round: hrs.round, step: hrs.step, signed } };
}

/** A Signer with the double-sign guard, persisting its state through `store` before it signs. */
export function createGuardedSigner(deps: { ed25519: Ed25519; secretKey: Uint8Array; store: SignerStore }, opts: GuardedSignerOptions = defaultGuardedSignerOptions): Signer {
  const { ed25519: ed, secretKey, store } = deps;
  const publicKey = ed.publicKey(secretKey);
  let state = store.load() ?? emptySignerState;
  return {
    publicKey,
    sign(req) {
      const bytes = signRequestBytes(req);
      const verdict = guardCheck(state, req, sha256(bytes), opts.signedHistoryMax);
      if ('refused' in verdict) return { ok: false, reason: verdict.refused };
      if (verdict.next !== null) {
        store.save(verdict.next);
        state = verdict.next;
      }
      return { ok: true, signature: ed.sign(secretKey, bytes) };
    },
  };
}

export function encodeSignerState(s: SignerState): Uint8Array {
  return encode({ height: s.height, round: s.round, step: s.step, signed: [...s.signed] });
}

export function decodeSignerState(b: Uint8Array): SignerState {
  const o = v.record(decode(b), 'signerState');
  v.onlyKeys(o, ['height', 'round', 'step', 'signed'], 'signerState');
  const step = v.uint(o.step, 'signerState.step', 3);
  const signed = v.list(o.signed, 'signerState.signed', 100_000).map((d, i) => v.bytes(d, `signerState.signed[${i}]`, 32));
  const s = { height: v.uint(o.height, 'signerState.height'), round: v.uint(o.round, 'signerState.round'), step: step as SignStep, signed };
  if (s.step === 0 && s.signed.length > 0) throw new SalusError('CORRUPT_DATA', 'signer state lists signatures but no step');
  return s;
}

/** An in-memory SignerStore (tests; the simulator keeps its own on simulated disk). */
export function createMemorySignerStore(initial?: SignerState): SignerStore & { current(): SignerState | undefined } {
  let s = initial;
  return { load: () => s, save: (x) => (s = x), current: () => s };
}
