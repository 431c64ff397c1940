import type { ContractValue } from '../values.js';

/** What a contract knows about the call it runs in; all of it comes from the block and transaction, none from the host's clock. */
export interface CallContext {
  readonly height: number;
  /** block time (the header's, never the host's clock), integer milliseconds */
  readonly time: number;
  /** the transaction's signer (hex public key); for a query, whoever the caller says asks */
  readonly signer: string;
  /** null for a read-only query */
  readonly txHash: string | null;
  /** the contract instance running */
  readonly contract: string;
  /** the contract that called this one, null at the top level */
  readonly caller: string | null;
}

/** Gas and depth a nested call may use; the host passes them on to `ContractRuntime.invoke`. */
export interface NestedBudget {
  readonly gas: number;
  readonly depth: number;
}

/**
 * The contract-facing API that the caller supplies for one call. The runtime validates every
 * argument and every answer, charges gas and routes; the host owns the meaning:
 *
 * - Writes (`set`, `delete`) and events must be buffered by the host (an overlay over committed
 *   state). The runtime never undoes anything: when `invoke` throws, the caller discards the
 *   buffer, so nothing a failed call did counts. Reads after writes in one call must see them.
 * - `list` answers entries whose keys start with `prefix`, strictly after `after` if given, in
 *   ascending key order (keys are printable ASCII, so byte order = string order), at most `limit`.
 *   The runtime refuses an answer out of order: key order is part of consensus.
 * - `call` runs another contract: the host resolves it, enforces atomicity (the nested call's
 *   writes join this call's buffer only if it succeeds) and invokes the runtime again with
 *   `budget` (remaining gas, depth + 1). It returns the value and the gas the nested call used,
 *   or throws the nested call's SalusError (whose `meta.gasUsed` is charged here). A failed nested
 *   call fails this call too.
 * - `hasRole`, `isSigner` answer for the call's signer; the SDK's `requireRole`/`requireSigner`
 *   turn a `false` into CONTRACT_FORBIDDEN.
 * A host method that throws fails the call with that error (after the sandbox is torn down).
 */
export interface ContractHost {
  readonly context: CallContext;
  get(key: string): ContractValue | undefined;
  /**
   * Another module's state (`identity/org/…`), where the host allows it (the contracts module: the
   * prefixes the manifest declares, approved with the contract); optional, refused when absent.
   */
  read?(key: string): ContractValue | undefined;
  set(key: string, value: ContractValue): void;
  delete(key: string): void;
  list(prefix: string, o: { after?: string; limit: number }): readonly (readonly [string, ContractValue])[];
  emit(type: string, attributes: { readonly [key: string]: ContractValue }): void;
  call(contract: string, method: string, args: ContractValue, budget: NestedBudget): { value: ContractValue; gasUsed: number };
  hasRole(role: string): boolean;
  isSigner(key: string): boolean;
}
