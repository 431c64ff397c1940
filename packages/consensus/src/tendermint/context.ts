import type { Ed25519 } from '@salus/core';
import type { TendermintEffect, RejectReason } from './io.js';
import type { TendermintOptions } from './options.js';
import type { ProposeTimeoutSource } from './pacer.js';
import type { Signer } from './signer.js';
import type { TendermintState } from './state.js';

/** What the rule functions work on while one input is handled: the state and the effects so far. */
export interface MachineContext {
  readonly chainId: string;
  readonly opts: TendermintOptions;
  readonly ed: Ed25519;
  readonly signer: Signer;
  /** the source of propose timeouts (adaptive pacing), if the driver keeps one */
  readonly pacer: ProposeTimeoutSource | null;
  readonly s: TendermintState;
  readonly out: TendermintEffect[];
}

/** Emits a rejected effect; returns false so that admission checks can `return reject(...)`. */
export function reject(ctx: MachineContext, reason: RejectReason, detail: string, height: number, round: number): false {
  ctx.out.push({ kind: 'rejected', reason, detail, height, round });
  return false;
}
