import type { Logger } from 'pino';
import { SalusError, type SmtPosition, SMT_ROOT_POSITION, ZERO_HASH, bytesEqual, smtChildPosition, smtInnerHash } from '@salus/core';
import type { SnapshotWriter } from '../state/snapshot-write.js';
import type { SnapshotEntry, SnapshotPiece } from '../state/snapshot-read.js';
import { BAD_SNAPSHOT_PENALTY, type SnapshotP2P, type SnapshotRequests } from './requests.js';
import { POSITIONS_PER_REQUEST_MAX, type SnapshotMessage } from './wire.js';

interface Wanted {
  readonly position: SmtPosition;
  readonly hash: Uint8Array;
}

/** Timeouts after which a peer is no longer asked during this restore. */
const PEER_TIMEOUTS_MAX = 3;

export interface ChunkFetchStats {
  chunks: number;
  bytes: number;
}

/**
 * Checks an answer's pieces against the hashes their positions must have, and writes them: a split
 * must be an inner node whose children hash to it (its non-empty children are wanted next); entries
 * must rebuild to it (SnapshotWriter.addPieces). Throws BAD_SNAPSHOT, and then nothing of the
 * answer is written. Returns the positions wanted next.
 */
export function acceptPieces(writer: SnapshotWriter, wants: readonly Wanted[], pieces: readonly SnapshotPiece[]): Wanted[] {
  const next: Wanted[] = [];
  const splits: { want: Wanted; split: readonly [Uint8Array, Uint8Array] }[] = [];
  const subtrees: { position: SmtPosition; entries: readonly SnapshotEntry[]; expected: Uint8Array }[] = [];
  pieces.forEach((piece, i) => {
    const want = wants[i]!;
    if ('split' in piece) {
      const [l, r] = piece.split;
      if (!bytesEqual(smtInnerHash(l, r), want.hash)) throw new SalusError('BAD_SNAPSHOT', `the split at depth ${want.position.depth} does not hash to the one its parent names`);
      if (want.position.depth >= 255) throw new SalusError('BAD_SNAPSHOT', 'a split below the deepest level of the tree');
      splits.push({ want, split: piece.split });
      if (!bytesEqual(l, ZERO_HASH)) next.push({ position: smtChildPosition(want.position, 0), hash: l });
      if (!bytesEqual(r, ZERO_HASH)) next.push({ position: smtChildPosition(want.position, 1), hash: r });
    } else subtrees.push({ position: want.position, entries: piece.entries, expected: want.hash });
  });
  writer.addPieces(subtrees);
  for (const s of splits) writer.addSplit(s.want.position, s.split);
  return next;
}

/** One piece (see acceptPieces). */
export function acceptPiece(writer: SnapshotWriter, want: Wanted, piece: SnapshotPiece): Wanted[] {
  return acceptPieces(writer, [want], [piece]);
}

/**
 * Fetches the state tree at `height` whose root is `root` from `peers`: positions go out in
 * batches, several per peer at once; each answer is checked piece by piece as it arrives and
 * written. A peer whose piece does not verify is penalised and asked no more; one that no longer
 * keeps the height, or times out repeatedly, is asked no more. Fails (BAD_SNAPSHOT) when no
 * peer is left with positions still wanted.
 */
export async function fetchSnapshotTree(
  deps: { requests: SnapshotRequests; p2p: SnapshotP2P; writer: SnapshotWriter; log: Logger; requestsPerPeer: number; bannedPeers: Set<string> },
  height: number,
  root: Uint8Array,
  peers: readonly string[],
): Promise<ChunkFetchStats> {
  const queue: Wanted[] = [{ position: SMT_ROOT_POSITION, hash: root }];
  const stats: ChunkFetchStats = { chunks: 0, bytes: 0 };
  const alive = new Set(peers);
  const timeouts = new Map<string, number>();
  let inflight = 0;
  let nextId = 1;
  let wake: (() => void) | undefined;
  const changed = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const drop = (peer: string) => {
    alive.delete(peer);
    changed();
  };

  const worker = async (peer: string): Promise<void> => {
    while (alive.has(peer)) {
      if (queue.length === 0) {
        if (inflight === 0) return;
        await new Promise<void>((r) => {
          const prev = wake;
          wake = () => {
            prev?.();
            r();
          };
        });
        continue;
      }
      // a fair share of what is wanted, so that every peer works while the tree opens up
      const share = Math.ceil(queue.length / Math.max(1, alive.size * deps.requestsPerPeer));
      const take = queue.splice(0, Math.min(POSITIONS_PER_REQUEST_MAX, share));
      const id = nextId++;
      inflight++;
      let done = 0;
      try {
        const ans = await deps.requests.ask(peer, { t: 'chunk?', id, height, positions: take.map((w) => w.position) }, (m): m is Extract<SnapshotMessage, { t: 'chunk' }> => m.t === 'chunk' && m.id === id);
        if (ans.height !== height) throw new SalusError('BAD_SNAPSHOT', `a chunk for height ${ans.height} answered a request for height ${height}`);
        if (ans.pieces.length === 0) {
          deps.log.info({ peer: peer.slice(0, 16), height }, 'state sync: peer no longer keeps the snapshot');
          drop(peer);
        }
        const pieces = ans.pieces.slice(0, take.length);
        queue.push(...acceptPieces(deps.writer, take, pieces));
        done = pieces.length;
        for (const piece of pieces) stats.bytes += 'split' in piece ? 64 : piece.entries.reduce((n, e) => n + e.key.length + e.value.length, 0);
        stats.chunks++;
        timeouts.delete(peer);
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
        if (e.code === 'BAD_SNAPSHOT') {
          deps.p2p.report(peer, BAD_SNAPSHOT_PENALTY, `state sync: ${e.message}`);
          deps.bannedPeers.add(peer);
          deps.log.warn({ peer: peer.slice(0, 16), reason: e.message }, 'state sync: a peer sent a chunk that does not verify; it is asked no more');
          drop(peer);
        } else {
          const n = (timeouts.get(peer) ?? 0) + 1;
          timeouts.set(peer, n);
          if (n >= PEER_TIMEOUTS_MAX) drop(peer);
        }
      } finally {
        // what was not accepted goes back for another peer
        queue.unshift(...take.slice(done));
        inflight--;
        changed();
      }
    }
  };

  const workers: Promise<void>[] = [];
  for (const p of peers) for (let i = 0; i < deps.requestsPerPeer; i++) workers.push(worker(p));
  await Promise.all(workers);
  if (queue.length > 0) throw new SalusError('BAD_SNAPSHOT', `no peer is left to serve the snapshot at height ${height} (${queue.length} subtrees still wanted)`, { height });
  return stats;
}
