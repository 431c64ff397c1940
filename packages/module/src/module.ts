/// <reference types="@fastify/swagger" preserve="true" />
// (the OpenAPI fields of a route schema, tags and summary, are typed by @fastify/swagger)
import type { FastifyInstance } from 'fastify';
import type { Command } from 'commander';
import type { Canonical, Ed25519, ErrorSpec, Validator } from '@salus/core';
import type { KV } from './kv.js';
import type { Genesis } from './genesis.js';
import type { ModuleService, ModuleServiceDeps } from './service.js';
import type { RouteServices } from './route-services.js';

/**
 * The module contract (Cosmos SDK's `core/appmodule` is the model): a module is one exported
 * object whose optional members are the hooks it needs, checked by the type system; the module
 * manager (`Application`) orders and calls them, and the node registers the objects in one list.
 * A module knows nothing of consensus, storage or sockets: it sees transactions, the state keys it
 * owns and block time, and the narrow services the node hands its routes.
 */
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
  /** Records the gas the transaction used (metering modules); a failure reports it in its error's `meta.gasUsed`. */
  reportGas(used: number): void;
}

/** What begin- and end-of-block hooks see: the block's state overlay, its height and time. */
export interface BlockContext {
  readonly chainId: string;
  readonly height: number;
  readonly time: number;
  readonly state: KV;
}

/**
 * What an end-of-block hook returns to the ledger (ABCI's `EndBlock`): the validator set that signs
 * the next block, when the module decides it. The ledger records it without knowing who decided.
 */
export interface EndBlockResult {
  readonly nextValidators?: readonly Validator[];
}

/** A transaction type's documentation, for the API's and the CLI's help. */
export interface TxTypeDoc {
  readonly summary: string;
  /** may a key that is not yet a registered identity sign it (self-registration)? */
  readonly open?: boolean;
}

/** The transaction half of a module: its types, their stateless checks and their handlers. */
export interface TxHandler {
  readonly types: Readonly<Record<string, TxTypeDoc>>;
  /** Stateless shape checks of a payload; throws INVALID_FIELD (run at admission and again at execution). */
  check(type: string, payload: Canonical): void;
  /** Deterministic: a pure function of (state, transaction, block height and time). Throws a SalusError to fail. */
  deliver(ctx: TxContext, type: string, payload: Canonical): void;
  /**
   * Admission's stateful checks, where running `deliver` at admission would cost too much (a
   * contract call would run twice on every validator, once per admission and once in its block):
   * given, admission runs this instead of `deliver` on the scratch overlay. What it does not catch
   * fails in the block, with its result on the ledger.
   */
  admit?(ctx: TxContext, type: string, payload: Canonical): void;
}

/** A module's section of the genesis file (`genesis.modules[name]`): validated, then written to state. */
export interface GenesisHandler {
  /** Checks the section (absent: undefined) against the whole genesis; throws CONFIG with the reason. */
  validate(section: unknown, genesis: Genesis): void;
  /** Writes the module's first state. Runs once, in registration order, when a chain is created. */
  init(state: KV, section: unknown, genesis: Genesis): void;
}

/** An event a module emits, documented with its attributes (the API lists them). */
export interface EventDoc {
  readonly type: string;
  readonly attributes: readonly string[];
}

/** The authentication hook: one module (identity) says whether a key is an active registered identity. */
export type Authenticator = (state: KV, signerHex: string) => boolean;

export interface AppModule {
  readonly name: string;
  /** Every state key the module writes starts with this (default `<name>/`); the manager enforces it. */
  readonly statePrefix?: string;
  readonly txs?: TxHandler;
  beginBlock?(ctx: BlockContext): void;
  endBlock?(ctx: BlockContext): EndBlockResult | undefined;
  readonly genesis?: GenesisHandler;
  /** Its error codes (registered with `registerErrors` when its package loads), listed for the docs. */
  readonly errors?: Readonly<Record<string, ErrorSpec>>;
  readonly events?: readonly EventDoc[];
  readonly authenticate?: Authenticator;
  /** Its read-only HTTP routes with their OpenAPI schemas (Fastify's `schema`), mounted on the node's API. */
  routes?(app: FastifyInstance, services: RouteServices): void;
  /** Its `salus` subcommands (client side: they talk to a node over HTTP). */
  cli?(program: Command): void;
  /** Its node-side service (work the node does for its own organisation off the ledger), created once per node. */
  service?(deps: ModuleServiceDeps): ModuleService;
}

export function statePrefixOf(m: { readonly name: string; readonly statePrefix?: string }): string {
  return m.statePrefix ?? `${m.name}/`;
}
