import { LIMITS } from '@salus/core';
import { defaultSoloOptions, type SoloOptions } from '@salus/consensus';
import { defaultStateStoreOptions, type StateStoreOptions } from '../state/store.js';
import type { ChainOptions } from '../ledger/chain.js';
import { defaultP2POptions, type P2POptions } from '../p2p/options.js';
import { defaultBftOptions, type BftOptions } from '../consensus/options.js';
import { defaultSnapshotOptions, defaultStateSyncOptions, type SnapshotOptions, type StateSyncOptions } from '../statesync/options.js';
import { defaultRecordsOptions, type RecordsOptions } from '@salus/records';

export interface ApiOptions {
  readonly host: string;
  readonly port: number;
  /** longest a client may wait for a commit */
  readonly commitWaitMsMax: number;
  readonly bodyBytesMax: number;
}

/** Every subsystem's options in one object, assembled here with their defaults (config.json overrides). */
export interface NodeOptions {
  readonly api: ApiOptions;
  readonly chain: ChainOptions;
  readonly state: StateStoreOptions;
  readonly solo: SoloOptions;
  /** peer links; used when the validator set has more than this node, or peers are configured */
  readonly p2p: P2POptions;
  /** the Tendermint driver, block sync and transaction gossip */
  readonly bft: BftOptions;
  /** the FHIR facade (served when records.custodianKeyFile is set) */
  readonly fhir: { readonly requestsPerSecond: number };
  /** encrypted records: blob replication, disclosures, the custodian */
  readonly records: RecordsOptions;
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  /** snapshots of the state served to peers for state sync */
  readonly snapshots: SnapshotOptions;
  /** starting an empty node from a peer's snapshot (trustHeight 0: off) */
  readonly stateSync: StateSyncOptions;
  /**
   * Where the ledger, its indexes and the blob store live: "embedded" (SQLite files in the data
   * directory) or a PostgreSQL URL, `postgres://user@host:port/database?schema=name` (one schema
   * per node; see docs/operations.md).
   */
  readonly storage: string;
  /**
   * Embedded storage only: the largest the ledger file (salus.db) may grow, in bytes (0: as large
   * as the disk allows). A block that would pass it is not written and the node stops, as on a
   * full disk; raise it and start again.
   */
  readonly storageQuotaBytes: number;
}

export const defaultNodeOptions: NodeOptions = {
  api: { host: '127.0.0.1', port: 26657, commitWaitMsMax: 30_000, bodyBytesMax: LIMITS.txBytesMax * 2 + 1024 },
  chain: {
    blockTxsMax: LIMITS.blockTxsMax,
    // blocks travel in parts, but block sync still sends a whole block in one p2p frame: keep it under the consensus limit (bft.tendermint.blockBytesMax)
    blockBytesMax: 3 * 1024 * 1024 - 128 * 1024,
    mempoolTxsMax: LIMITS.mempoolTxsMax,
    mempoolBytesMax: LIMITS.mempoolBytesMax,
  },
  state: defaultStateStoreOptions,
  solo: defaultSoloOptions,
  p2p: defaultP2POptions,
  bft: defaultBftOptions,
  fhir: { requestsPerSecond: 200 },
  records: defaultRecordsOptions,
  log: { level: 'info' },
  snapshots: defaultSnapshotOptions,
  stateSync: defaultStateSyncOptions,
  storage: 'embedded',
  storageQuotaBytes: 0,
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type NodeOptionsInput = DeepPartial<NodeOptions>;

export function mergeOptions(input: NodeOptionsInput = {}): NodeOptions {
  return {
    api: { ...defaultNodeOptions.api, ...input.api },
    chain: { ...defaultNodeOptions.chain, ...input.chain },
    state: { ...defaultNodeOptions.state, ...input.state },
    solo: { ...defaultNodeOptions.solo, ...input.solo },
    p2p: { ...defaultNodeOptions.p2p, ...(input.p2p as Partial<P2POptions> | undefined) },
    bft: {
      ...defaultNodeOptions.bft,
      ...(input.bft as Partial<BftOptions> | undefined),
      tendermint: { ...defaultNodeOptions.bft.tendermint, ...input.bft?.tendermint },
    },
    fhir: { ...defaultNodeOptions.fhir, ...input.fhir },
    records: { ...defaultNodeOptions.records, ...(input.records as Partial<RecordsOptions> | undefined) },
    log: { ...defaultNodeOptions.log, ...input.log },
    snapshots: { ...defaultNodeOptions.snapshots, ...input.snapshots },
    stateSync: { ...defaultNodeOptions.stateSync, ...input.stateSync },
    storage: input.storage ?? defaultNodeOptions.storage,
    storageQuotaBytes: input.storageQuotaBytes ?? defaultNodeOptions.storageQuotaBytes,
  };
}
