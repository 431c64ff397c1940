/**
 * The contract author's API. Contract code imports it (`import { state, emit, ctx, fail } from
 * '@salus/contracts/sdk'`); the bundler inlines it, and it talks to the host through `__salus`,
 * the object the sandbox's prelude installs. Values are JSON without floats (`Value`): integers
 * must be safe integers, and `undefined` anywhere inside a value is refused.
 *
 * A method is an exported function taking one argument (the call's `args`) and returning a value
 * (returning nothing means `null`). Module-level variables start afresh on every call: keep
 * everything that must last in `state`.
 */

export type Value = null | boolean | number | string | readonly Value[] | { readonly [key: string]: Value };

/**
 * What the SDK accepts where a value goes out: a `Value`, or any object type (interfaces have no
 * index signature, so they are not `Value`s to TypeScript). The sandbox checks the real shape and
 * refuses floats, undefined, bigints and class instances with CONTRACT_VALUE.
 */
export type Storable = Value | object;

export interface CallContext {
  readonly height: number;
  /** block time, integer milliseconds (never the validator's clock) */
  readonly time: number;
  readonly signer: string;
  readonly txHash: string | null;
  readonly contract: string;
  readonly caller: string | null;
}

interface Bridge {
  get(key: string): unknown;
  read(key: string): unknown;
  set(key: string, value: Storable): void;
  delete(key: string): void;
  list(prefix: string, o?: { after?: string; limit?: number }): [string, Value][];
  emit(type: string, attributes: { readonly [key: string]: Storable }): void;
  call(contract: string, method: string, args: Storable): unknown;
  hasRole(role: string): boolean;
  requireRole(role: string): void;
  requireSigner(key: string): void;
  ctx(): CallContext;
}

declare const __salus: Bridge;

/** The contract's own state. Keys are 1-256 printable ASCII characters; values at most 64 KiB of JSON. */
export const state = {
  get<T = Value>(key: string): T | undefined {
    return __salus.get(key) as T | undefined;
  },
  set(key: string, value: Storable): void {
    __salus.set(key, value);
  },
  delete(key: string): void {
    __salus.delete(key);
  },
  /** Entries under `prefix` in ascending key order, after `after`, at most `limit` (≤ 100, the default). */
  list<T = Value>(prefix: string, o: { after?: string; limit?: number } = {}): [string, T][] {
    return __salus.list(prefix, o) as [string, T][];
  },
};

/**
 * Reads another module's state by its full key (e.g. `identity/org/insurer-1`): only under the
 * prefixes the contract's manifest declares in `reads`, which its organisations approved.
 */
export function readLedger<T = Value>(key: string): T | undefined {
  return __salus.read(key) as T | undefined;
}

/** Emits an event (lowercase type, e.g. `invoice.issued`); dropped with everything else if the call fails. */
export function emit(type: string, attributes: { readonly [key: string]: Storable } = {}): void {
  __salus.emit(type, attributes);
}

/** The block, transaction and signer this call runs for. */
export function ctx(): CallContext {
  return __salus.ctx();
}

/** Calls another contract; its failure fails this call too (all or nothing). */
export function call<T = Value>(contract: string, method: string, args: Storable = null): T {
  return __salus.call(contract, method, args) as T;
}

export function hasRole(role: string): boolean {
  return __salus.hasRole(role);
}

/** Stops the call with CONTRACT_FORBIDDEN unless the signer holds `role` (the node decides what roles mean). */
export function requireRole(role: string): void {
  __salus.requireRole(role);
}

/** Stops the call with CONTRACT_FORBIDDEN unless it is signed by `key`. */
export function requireSigner(key: string): void {
  __salus.requireSigner(key);
}

/** The exception `fail` throws; callers see CONTRACT_FAILED with `meta.reason` = its code. */
export class ContractFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContractFailure';
  }
}

/** Fails the call on purpose with an UPPER_SNAKE_CASE reason, e.g. `fail('NOT_COVERED', 'plan excludes this service')`. */
export function fail(reason: string, message: string = reason): never {
  throw new ContractFailure(reason, message);
}

/** The shape of a contract's methods, for typed callers: `ContractMethods<typeof import('./invoices.js')>`. */
export type ContractMethods<M> = { [K in keyof M as M[K] extends (args: never) => unknown ? K : never]: M[K] };

/** The argument type of one method. */
export type ArgsOf<F> = F extends (args: infer A) => unknown ? A : never;
