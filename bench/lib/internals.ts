// The parts of the node package that the benchmarks use but that @salus/node does not export (its
// package.json "exports" names only its index): loaded at run time from the package's compiled
// dist/, typed by the declarations tsc wrote beside them (type-only imports, erased). The native
// crypto is in native-crypto.ts.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as FhirCli from '../../packages/node/dist/cli/fhir.js';
import type * as Fast from '../../packages/node/dist/config/fast.js';
import type * as Localnet from '../../packages/node/dist/config/localnet.js';
import type * as Ports from '../../packages/node/dist/config/ports.js';
import type * as Blockstore from '../../packages/node/dist/ledger/blockstore.js';
import type * as Store from '../../packages/node/dist/state/store.js';
import type * as DbModule from '../../packages/node/dist/storage/db.js';
import type * as PgCluster from '../../packages/node/dist/storage/pg-cluster.js';
import { ROOT_DIR } from './paths.js';

const nodeDist = (rel: string): string => pathToFileURL(join(ROOT_DIR, 'packages', 'node', 'dist', rel)).href;

const [fast, localnet, ports, blockstore, store, db, fhirCli, pgCluster] = await Promise.all([
  import(nodeDist('config/fast.js')) as Promise<typeof Fast>,
  import(nodeDist('config/localnet.js')) as Promise<typeof Localnet>,
  import(nodeDist('config/ports.js')) as Promise<typeof Ports>,
  import(nodeDist('ledger/blockstore.js')) as Promise<typeof Blockstore>,
  import(nodeDist('state/store.js')) as Promise<typeof Store>,
  import(nodeDist('storage/db.js')) as Promise<typeof DbModule>,
  import(nodeDist('cli/fhir.js')) as Promise<typeof FhirCli>,
  import(nodeDist('storage/pg-cluster.js')) as Promise<typeof PgCluster>,
]);

/** the fast local consensus timeouts the network tests use too */
export const FAST_LOCAL_TIMEOUTS = fast.FAST_LOCAL_TIMEOUTS;
export const initLocalnet = localnet.initLocalnet;
export type LocalnetNode = Localnet.LocalnetNode;
export const nodeFreePortRange = ports.freePortRange;
export const BlockStore = blockstore.BlockStore;
export const StateStore = store.StateStore;
export const defaultStateStoreOptions = store.defaultStateStoreOptions;
export const openDb = db.openDb;
export type Db = DbModule.Db;
export const fhirToken = fhirCli.fhirToken;
/** a throw-away PostgreSQL cluster (initdb, pg_ctl) for the storage backend's figures */
export const startPgCluster = pgCluster.startPgCluster;
