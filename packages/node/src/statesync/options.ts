import { SalusError } from '@salus/core';

/** Serving snapshots to peers (config.json `snapshots`). */
export interface SnapshotOptions {
  /** a snapshot at every height divisible by this (0: serve none) */
  readonly intervalBlocks: number;
  /** how many of the newest snapshot heights are offered */
  readonly kept: number;
  /** largest answer to one chunk request (entries' keys and values) */
  readonly chunkBytesMax: number;
}

/** Starting an empty node from a peer's snapshot (config.json `stateSync`, or `salus start --state-sync`). */
export interface StateSyncOptions {
  /** the trusted header: its height (0: state sync off) and its hash, hex */
  readonly trustHeight: number;
  readonly trustHash: string;
  /** once a first usable offer arrived, how long other peers' offers are awaited */
  readonly discoveryMs: number;
  /** no usable snapshot offered in this time: the restore fails (TIMEOUT) */
  readonly discoveryTimeoutMs: number;
  /** one request to one peer */
  readonly requestTimeoutMs: number;
  /** chunk requests in flight to one peer */
  readonly requestsPerPeer: number;
  /** whole restores tried (a snapshot pruned by its servers mid-way is started over with a newer one) */
  readonly attemptsMax: number;
}

export const defaultSnapshotOptions: SnapshotOptions = { intervalBlocks: 20, kept: 2, chunkBytesMax: 1024 * 1024 };

export const defaultStateSyncOptions: StateSyncOptions = {
  trustHeight: 0,
  trustHash: '',
  discoveryMs: 1_000,
  discoveryTimeoutMs: 120_000,
  requestTimeoutMs: 15_000,
  requestsPerPeer: 2,
  attemptsMax: 3,
};

/**
 * Snapshots are read straight from versions the state store still keeps (it prunes a version's
 * replaced nodes `state.keepVersions` versions later), so every offered height must stay within
 * them: intervalBlocks × kept ≤ keepVersions.
 */
export function checkSnapshotOptions(o: SnapshotOptions, keepVersions: number, messageBytesMax: number): void {
  const int = (x: number, min: number, max: number, field: string) => {
    if (!Number.isSafeInteger(x) || x < min || x > max) throw new SalusError('CONFIG', `${field} must be an integer from ${min} to ${max}`);
  };
  int(o.intervalBlocks, 0, 1_000_000, 'snapshots.intervalBlocks');
  int(o.kept, 1, 100, 'snapshots.kept');
  int(o.chunkBytesMax, 4096, messageBytesMax - 64 * 1024, 'snapshots.chunkBytesMax');
  if (o.intervalBlocks * o.kept > keepVersions) {
    throw new SalusError('CONFIG', `snapshots.intervalBlocks × snapshots.kept (${o.intervalBlocks * o.kept}) must not exceed state.keepVersions (${keepVersions}): snapshots are served from the versions the state store keeps`);
  }
}

/** The snapshot heights served at `height`: the newest `kept` multiples of the interval that are still kept. */
export function offeredHeights(o: SnapshotOptions, height: number, keepVersions: number, base: number): number[] {
  if (o.intervalBlocks === 0) return [];
  const out: number[] = [];
  for (let s = height - (height % o.intervalBlocks); s > 0 && s > height - keepVersions && s >= base && out.length < o.kept; s -= o.intervalBlocks) out.push(s);
  return out;
}
