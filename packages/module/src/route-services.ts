import type { KV } from './kv.js';
import type { TxResult } from './result.js';

/** Time as the node reads it (injected: tests move a fake clock instead of sleeping). */
export interface WallClock {
  now(): number;
}

/**
 * The services the node gives a module's routes: a narrow, typed face, not the node. A route
 * reads committed state through `committed()` (a view valid for one height) and time through
 * `clock`; it submits nothing by itself (clients sign transactions).
 */
export interface RouteServices {
  readonly chainId: string;
  readonly nodeId: string;
  readonly clock: WallClock;
  committed(): KV;
  lastHeight(): number;
  /**
   * A state value with its proof, as `GET /v1/state` answers it (the SDK's `verifyStateResponse`
   * checks it): of the state after block `at` against the app hash in header `at + 1`; by default
   * the latest provable state (one block before the tip). NOT_FOUND where no header commits to it
   * yet, or its old tree nodes were pruned.
   */
  prove(key: string, at?: number): unknown;
  /** The transactions of a committed block with their results, or undefined past the tip. */
  blockResults(height: number): { readonly hash: string; readonly result: TxResult }[] | undefined;
  /** Resolves once this node has committed `height` (TIMEOUT after `timeoutMs`). */
  waitForHeight(height: number, timeoutMs: number): Promise<void>;
}
