import { type Ed25519, isBytes } from '@salus/core';
import { castVote, propose, startRound } from './actions.js';
import { type MachineContext, reject } from './context.js';
import { type HeldMessage, gossipMessages, holdsMessage } from './gossip.js';
import type { TendermintEffect, TendermintInput } from './io.js';
import { type TendermintOptions, defaultTendermintOptions } from './options.js';
import type { ProposeTimeoutSource } from './pacer.js';
import { receiveProposal, receiveVote } from './receive.js';
import { evaluate } from './rules.js';
import type { Signer } from './signer.js';
import { type TendermintState, initialState } from './state.js';
import { type TendermintStatus, statusOf } from './status.js';
import type { ConsensusMessage } from './types.js';
import { createValidatorSet, indexOf } from './validators.js';

export interface TendermintDeps {
  readonly chainId: string;
  readonly ed25519: Ed25519;
  readonly signer: Signer;
  readonly options?: TendermintOptions;
  /** where propose timeouts come from (the driver's `ProposePacer`); without it, the configured ones */
  readonly pacer?: ProposeTimeoutSource;
}

/**
 * One validator's Tendermint consensus: a deterministic state machine. Its only I/O is the list of
 * effects `handle` returns and the calls to its Signer; it reads no clock and no randomness. The
 * state is plain data: the same inputs (and signer answers) give the same state, which is how a
 * WAL replay rebuilds it. If `handle` throws (a signer store failing, say) the node must stop
 * and restart from its WAL.
 */
export class Tendermint {
  private readonly s: TendermintState;
  private readonly deps: Required<Omit<TendermintDeps, 'pacer'>> & { readonly pacer: ProposeTimeoutSource | null };

  constructor(deps: TendermintDeps, state?: TendermintState) {
    this.deps = { ...deps, options: deps.options ?? defaultTendermintOptions, pacer: deps.pacer ?? null };
    this.s = state ?? initialState();
  }

  handle(input: TendermintInput): TendermintEffect[] {
    const { chainId, options: opts, ed25519: ed, signer, pacer } = this.deps;
    const ctx: MachineContext = { chainId, opts, ed, signer, pacer, s: this.s, out: [] };
    switch (input.kind) {
      case 'newHeight':
        if (this.newHeight(ctx, input)) evaluate(ctx);
        break;
      case 'proposal':
        if (receiveProposal(ctx, input.proposal, input.block, input.valid)) evaluate(ctx);
        break;
      case 'vote':
        if (receiveVote(ctx, input.vote)) evaluate(ctx);
        break;
      case 'timeout':
        if (this.timeout(ctx, input)) evaluate(ctx);
        break;
      case 'value':
        if (this.value(ctx, input)) evaluate(ctx);
        break;
    }
    return ctx.out;
  }

  /** The live state, read-only by contract; `snapshot()` for a copy. */
  get state(): Readonly<TendermintState> {
    return this.s;
  }

  snapshot(): TendermintState {
    return structuredClone(this.s);
  }

  status(): TendermintStatus {
    return statusOf(this.s);
  }

  /** Messages to re-broadcast periodically (see gossip.ts). */
  gossip(): ConsensusMessage[] {
    return gossipMessages(this.s);
  }

  /** True if this exact message is already held: the driver may skip WAL and step for it (a proposal's block is not needed to tell). */
  holds(msg: HeldMessage): boolean {
    return holdsMessage(this.s, msg);
  }

  private newHeight(ctx: MachineContext, input: Extract<TendermintInput, { kind: 'newHeight' }>): boolean {
    const s = this.s;
    if (s.step !== 'idle' && input.height <= s.height) return reject(ctx, 'old-height', `newHeight ${input.height}, at ${s.height}`, input.height, 0);
    if (!Number.isSafeInteger(input.height) || input.height < 1) return reject(ctx, 'malformed', `newHeight ${input.height}`, input.height, 0);
    const fresh = initialState();
    fresh.height = input.height;
    fresh.validators = createValidatorSet(input.validators, this.deps.options.validatorsMax);
    fresh.selfIndex = indexOf(fresh.validators, this.deps.signer.publicKey);
    Object.assign(s, fresh);
    startRound(ctx, 0);
    return true;
  }

  /** OnTimeoutPropose / OnTimeoutPrevote / OnTimeoutPrecommit (lines 57-65). */
  private timeout(ctx: MachineContext, t: Extract<TendermintInput, { kind: 'timeout' }>): boolean {
    const s = this.s;
    if (t.height !== s.height || t.round !== s.round || s.step === 'idle' || s.step === 'commit') return false;
    if (t.step === 'propose' && s.step === 'propose') {
      castVote(ctx, 'prevote', null);
      s.step = 'prevote';
      return true;
    }
    if (t.step === 'prevote' && s.step === 'prevote') {
      castVote(ctx, 'precommit', null);
      s.step = 'precommit';
      return true;
    }
    if (t.step === 'precommit') {
      startRound(ctx, s.round + 1);
      return true;
    }
    return false;
  }

  private value(ctx: MachineContext, x: Extract<TendermintInput, { kind: 'value' }>): boolean {
    const s = this.s;
    if (x.height !== s.height || x.round !== s.round || s.step !== 'propose' || !s.awaitingValue) {
      return reject(ctx, 'stale', `value for ${x.height}/${x.round} not awaited`, x.height, x.round);
    }
    if (!isBytes(x.blockHash, 32)) return reject(ctx, 'malformed', 'value block hash is not 32 bytes', x.height, x.round);
    if (x.block.length > this.deps.options.blockBytesMax) return reject(ctx, 'oversize', `value of ${x.block.length} bytes`, x.height, x.round);
    propose(ctx, x.block, x.blockHash, -1);
    return true;
  }
}

export function createTendermint(deps: TendermintDeps, state?: TendermintState): Tendermint {
  return new Tendermint(deps, state);
}

/**
 * The functional form: `step(state, input) → { state, effects }`, leaving the given state
 * untouched (it works on a copy). The class is the same machine without the copy.
 */
export function step(deps: TendermintDeps, state: TendermintState, input: TendermintInput): { state: TendermintState; effects: TendermintEffect[] } {
  const m = new Tendermint(deps, structuredClone(state));
  const effects = m.handle(input);
  return { state: m.state as TendermintState, effects };
}
