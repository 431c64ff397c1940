import { type Ed25519, bytesEqual, sha256 } from '@salus/core';
import { proposalSignBytes, voteSignBytes } from './signbytes.js';
import { SIGN_STEP, type SignStep, type SignerState, type SignerStore, emptySignerState } from './signerstate.js';
import type { PartSetHeader } from './parts.js';
import type { Vote, VoteType } from './types.js';

/** What the state machine asks its signer to sign. */
export type SignRequest =
  | { readonly kind: 'proposal'; readonly chainId: string; readonly height: number; readonly round: number; readonly polRound: number; readonly blockHash: Uint8Array; readonly parts: PartSetHeader }
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

/** The guarded signer also tells a restarting driver which votes it signed at its latest height. */
export interface GuardedSigner extends Signer {
  /** votes signed at the latest height signed (the driver feeds them back after a replay: see SPEC §6) */
  signedVotes(): Vote[];
}

export interface GuardedSignerOptions {
  /** digests and votes kept for the current height (3 per round the height lasts is ample) */
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
 * The double-sign guard's verdict (pure): 'resign' for bytes already signed at this height,
 * 'sign' for a request strictly after the last height/round/step, else a refusal.
 */
export function guardCheck(state: SignerState, req: SignRequest, digest: Uint8Array): 'resign' | 'sign' | { refused: string } {
  if (state.height === req.height && state.signed.some((d) => bytesEqual(d, digest))) return 'resign';
  const hrs = { height: req.height, round: req.round, step: stepOf(req) };
  const c = compareHrs(hrs, state);
  if (c > 0) return 'sign';
  if (c === 0) return { refused: `already signed a different ${req.kind === 'proposal' ? 'proposal' : req.type} at height ${req.height} round ${req.round}` };
  return { refused: `height/round/step regression: asked for ${req.height}/${req.round}/${hrs.step}, last signed ${state.height}/${state.round}/${state.step}` };
}

/** The guard's state after signing `req` (pure). */
export function recordSigned(state: SignerState, req: SignRequest, digest: Uint8Array, signature: Uint8Array, historyMax: number): SignerState {
  const same = state.height === req.height;
  const vote = req.kind === 'vote' ? [{ type: req.type, round: req.round, blockHash: req.blockHash, signature }] : [];
  return {
    height: req.height,
    round: req.round,
    step: stepOf(req),
    signed: [...(same ? state.signed : []), digest].slice(-historyMax),
    votes: [...(same ? state.votes : []), ...vote].slice(-historyMax),
  };
}

/** A Signer with the double-sign guard, persisting its state through `store` before a signature leaves. */
export function createGuardedSigner(deps: { ed25519: Ed25519; secretKey: Uint8Array; store: SignerStore }, opts: GuardedSignerOptions = defaultGuardedSignerOptions): GuardedSigner {
  const { ed25519: ed, secretKey, store } = deps;
  const publicKey = ed.publicKey(secretKey);
  let state = store.load() ?? emptySignerState;
  return {
    publicKey,
    sign(req) {
      const bytes = signRequestBytes(req);
      const digest = sha256(bytes);
      const verdict = guardCheck(state, req, digest);
      if (typeof verdict === 'object') return { ok: false, reason: verdict.refused };
      const signature = ed.sign(secretKey, bytes);
      if (verdict === 'sign') {
        const next = recordSigned(state, req, digest, signature, opts.signedHistoryMax);
        store.save(next);
        state = next;
      }
      return { ok: true, signature };
    },
    signedVotes() {
      return state.votes.map((x) => ({ type: x.type, height: state.height, round: x.round, blockHash: x.blockHash, validator: publicKey, signature: x.signature }));
    },
  };
}
