import { LIMITS } from '@salus/core';
import { defaultTendermintOptions, wireBytesMax } from '@salus/consensus';
import type { ChannelDescriptor } from '../p2p/index.js';

/**
 * The node's p2p channels. Votes go first when a link is congested, then proposals with their
 * block parts and part requests, block sync, and transactions and blobs last (CometBFT orders its
 * reactors' channels the same way). No consensus message is larger than one block part and its
 * proof, so votes overtake a block being sent; block sync still sends whole blocks.
 */
export const CH = { vote: 1, proposal: 2, sync: 3, tx: 4, blob: 5, snapshot: 6 } as const;

/** Largest blob-replication message: one record ciphertext (1 MiB) plus envelopes and framing. */
export const BLOB_MESSAGE_BYTES_MAX = 4 * 1024 * 1024 - 1024;

/** Largest state-sync message: a chunk answer (snapshots.chunkBytesMax, at most this less 64 KiB) with its framing. */
export const SNAPSHOT_MESSAGE_BYTES_MAX = 4 * 1024 * 1024 - 1024;

/** Largest transaction-gossip message: a batch is sent before it would grow past this. */
export const TX_GOSSIP_BYTES_MAX = 1024 * 1024 + LIMITS.txBytesMax + 1024;

export function nodeChannels(blockBytesMax: number, blockPartBytes = defaultTendermintOptions.blockPartBytes): ChannelDescriptor[] {
  return [
    { id: CH.vote, name: 'vote', priority: 10, messageBytesMax: 4 * 1024 },
    { id: CH.proposal, name: 'proposal', priority: 8, messageBytesMax: wireBytesMax({ blockPartBytes }) + 1024 },
    { id: CH.sync, name: 'sync', priority: 3, messageBytesMax: blockBytesMax + 64 * 1024 },
    { id: CH.tx, name: 'tx', priority: 1, messageBytesMax: TX_GOSSIP_BYTES_MAX },
    { id: CH.blob, name: 'blob', priority: 1, messageBytesMax: BLOB_MESSAGE_BYTES_MAX },
    // state sync: snapshot offers, light headers and chunks (statesync/wire.ts); a chunk answer stays under this
    { id: CH.snapshot, name: 'snapshot', priority: 2, messageBytesMax: SNAPSHOT_MESSAGE_BYTES_MAX },
  ];
}
