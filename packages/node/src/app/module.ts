import type { Canonical, Ed25519 } from '@salus/core';
import type { FastifyInstance } from 'fastify';
import type { KV } from './kv.js';
import type { Genesis } from '../config/genesis.js';

export interface TxContext {
  readonly chainId: string;
  readonly height: number;
  /** block time, ms since epoch: the only clock a handler may read */
  readonly time: number;
  readonly signer: Uint8Array;
  readonly signerHex: string;
  readonly txHash: Uint8Array;
  readonly state: KV;
  /** signature verification, for handlers that check signed evidence (deterministic) */
  readonly ed: Ed25519;
  emit(type: string, attributes: Record<string, Canonical>): void;
}

export interface QueryContext {
  readonly state: KV;
}

/**
 * One domain = one module, all of the same shape (Cosmos SDK's x/ modules are the model): its
 * transaction types with stateless checks, deterministic handlers over the keys it owns, genesis,
 * and read-only HTTP routes. Handlers are pure functions of (state, transaction, block height/time).
 */
export interface Module {
  readonly name: string;
  readonly txTypes: readonly string[];
  /** Stateless shape checks of a payload; throws INVALID_FIELD. */
  checkPayload(type: string, payload: Canonical): void;
  /** Types an unregistered key may sign (self-registration). */
  readonly openTypes?: readonly string[];
  execute(ctx: TxContext, type: string, payload: Canonical): void;
  /** Runs before a block's transactions (e.g. activating a due validator set). */
  beginBlock?(state: KV, height: number): void;
  initGenesis?(state: KV, genesis: Genesis): void;
  routes?(app: FastifyInstance, query: () => QueryContext): void;
}
