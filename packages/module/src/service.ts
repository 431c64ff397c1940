import type { FastifyInstance } from 'fastify';
import type { Ed25519, IdentityKeys, KeyWrap } from '@salus/core';
import type { KV } from './kv.js';
import type { BlobStore } from './blobs.js';
import type { BlockReader, LedgerView } from './ledger.js';
import type { ServiceLog } from './log.js';
import type { RouteServices, WallClock } from './route-services.js';

/**
 * What the node gives a module's node-side service: the narrow faces of its chain, blocks, blob
 * store and keys, never the node itself. A service is the part of a module that is not a
 * deterministic state machine: work a node does for its own organisation off the ledger (private
 * contract execution on the parties' nodes, for one), whose results come back only as signed
 * transactions.
 */
export interface ModuleServiceDeps {
  readonly chainId: string;
  readonly nodeId: string;
  /** a directory of the node's data directory that belongs to this module alone */
  readonly dataDir: string;
  readonly clock: WallClock;
  readonly log: ServiceLog;
  readonly ed: Ed25519;
  readonly keyWrap: KeyWrap;
  /** the keys of the organisation this node runs for (its admin key file), when configured */
  readonly orgKeys: IdentityKeys | null;
  readonly ledger: LedgerView;
  readonly blocks: BlockReader;
  /** committed state, valid for one height */
  committed(): KV;
  readonly blobs: BlobStore;
  /** Resolves once this node has committed `height` (TIMEOUT after `timeoutMs`). */
  waitForHeight(height: number, timeoutMs: number): Promise<void>;
  /** Fetches blobs this node lacks from its peers (nothing without peers); resolves when done or given up. */
  fetchBlobs(hashes: readonly string[]): Promise<void>;
}

/** A module's node-side service, started after the API listens and stopped before storage closes. */
export interface ModuleService {
  /** its HTTP routes, mounted beside the module's own read-only ones */
  routes?(app: FastifyInstance, services: RouteServices): void;
  start?(): void;
  /** after each committed block (the block's transactions are in `blocks`) */
  onBlock?(height: number): void;
  stop?(): Promise<void>;
}
