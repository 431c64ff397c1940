// The node package's state-sync and p2p parts the state-sync benchmark drives in-process (not
// exported by @salus/node): loaded at run time from its compiled dist/, typed by the declarations
// tsc wrote beside them (type-only imports, erased), as internals.ts does for the others.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as P2PModule from '../../packages/node/dist/p2p/index.js';
import type * as Channels from '../../packages/node/dist/consensus/channels.js';
import type * as ConsensusOptions from '../../packages/node/dist/consensus/options.js';
import type * as Sync from '../../packages/node/dist/consensus/sync.js';
import type * as Server from '../../packages/node/dist/statesync/server.js';
import type * as Restore from '../../packages/node/dist/statesync/restore.js';
import type * as SyncOptions from '../../packages/node/dist/statesync/options.js';
import { ROOT_DIR } from './paths.js';

const nodeDist = (rel: string): string => pathToFileURL(join(ROOT_DIR, 'packages', 'node', 'dist', rel)).href;

const [p2p, channels, consensusOptions, sync, server, restore, syncOptions] = await Promise.all([
  import(nodeDist('p2p/index.js')) as Promise<typeof P2PModule>,
  import(nodeDist('consensus/channels.js')) as Promise<typeof Channels>,
  import(nodeDist('consensus/options.js')) as Promise<typeof ConsensusOptions>,
  import(nodeDist('consensus/sync.js')) as Promise<typeof Sync>,
  import(nodeDist('statesync/server.js')) as Promise<typeof Server>,
  import(nodeDist('statesync/restore.js')) as Promise<typeof Restore>,
  import(nodeDist('statesync/options.js')) as Promise<typeof SyncOptions>,
]);

export const P2P = p2p.P2P;
export type P2P = P2PModule.P2P;
export const nodeChannels = channels.nodeChannels;
export const SNAPSHOT_MESSAGE_BYTES_MAX = channels.SNAPSHOT_MESSAGE_BYTES_MAX;
export const defaultBftOptions = consensusOptions.defaultBftOptions;
export const BlockSync = sync.BlockSync;
export const SnapshotServer = server.SnapshotServer;
export const StateSyncRestore = restore.StateSyncRestore;
export const defaultStateSyncOptions = syncOptions.defaultStateSyncOptions;
export const defaultSnapshotOptions = syncOptions.defaultSnapshotOptions;
