import { join } from 'node:path';
import type { Clock } from '@salus/consensus';
import type { BlobStore } from '@salus/module';
import { storageKind } from '../storage/open.js';
import { PostgresBlobStore } from './pg-store.js';
import { SqliteBlobStore } from './store.js';

/** The node's blob store on the storage its `storage` option names: blobs.sqlite in the data directory, or the node's PostgreSQL schema. */
export function openBlobStore(storage: string, dataDir: string, clock: Clock): BlobStore {
  return storageKind(storage) === 'postgres' ? new PostgresBlobStore(storage, clock) : new SqliteBlobStore(join(dataDir, 'blobs.sqlite'), clock);
}
