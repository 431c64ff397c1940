import type { Logger } from 'pino';
import { SalusError, encode, encodeBlock, encodeCommit, encodeHeader } from '@salus/core';
import type { Chain } from '../ledger/chain.js';
import type { BlockStore } from '../ledger/blockstore.js';
import type { StateStore } from '../state/store.js';
import { readSnapshotPieces } from '../state/snapshot-read.js';
import { CH } from '../consensus/channels.js';
import { BAD_SNAPSHOT_PENALTY, type SnapshotP2P } from './requests.js';
import { type SnapshotMessage, decodeSnapshotMessage, encodeSnapshotMessage } from './wire.js';
import { type SnapshotOptions, offeredHeights } from './options.js';

/** Header answers stop before this many bytes (headers and commits are small; a thousand fit). */
const HEADERS_BYTES_MAX = 2 * 1024 * 1024;

/**
 * Serves state sync to peers: the snapshot heights on offer (offeredHeights), headers with their
 * commits, validator sets, the snapshot height's block, and chunks of the state tree read straight
 * from the versions the state store keeps (readSnapshotPieces: nothing is copied at snapshot time).
 */
export class SnapshotServer {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly opts: SnapshotOptions & { readonly keepVersions: number; readonly bytesMax: number },
    private readonly deps: { readonly chain: Chain; readonly blocks: BlockStore; readonly state: StateStore; readonly p2p: SnapshotP2P; readonly log: Logger },
  ) {}

  start(): void {
    this.unsubscribe = this.deps.p2p.onMessage((peer, ch, bytes) => {
      if (ch === CH.snapshot) this.receive(peer, bytes);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** The heights offered now. */
  offers(): number[] {
    return offeredHeights(this.opts, this.deps.state.version, this.opts.keepVersions, this.deps.state.baseVersion);
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let answer: SnapshotMessage | undefined;
    try {
      answer = this.answer(decodeSnapshotMessage(bytes, this.opts.bytesMax));
    } catch (e) {
      if (!(e instanceof SalusError)) throw e;
      // the request's fault (malformed, or a position the tree does not have) costs the peer; anything else is this node's to log
      if (e.code === 'INVALID_FIELD' || e.code === 'MALFORMED_ENCODING' || e.code === 'BAD_SNAPSHOT') this.deps.p2p.report(peer, BAD_SNAPSHOT_PENALTY, `snapshot request: ${e.message}`);
      else if (e.code !== 'NOT_FOUND' && e.code !== 'BELOW_BASE') this.deps.log.warn({ peer: peer.slice(0, 16), code: e.code, reason: e.message }, 'snapshots: a request could not be answered');
      return;
    }
    if (answer) this.deps.p2p.send(peer, CH.snapshot, encodeSnapshotMessage(answer));
  }

  /** The answer to a request (answers arriving here unasked are ignored). */
  answer(m: SnapshotMessage): SnapshotMessage | undefined {
    const { chain, blocks, state } = this.deps;
    const top = chain.lastHeight();
    switch (m.t) {
      case 'offers?':
        return { t: 'offers', heights: this.offers() };
      case 'headers?': {
        const items: { header: Uint8Array; commit: Uint8Array }[] = [];
        let size = 0;
        for (let h = m.from; h < m.from + m.count && h <= top; h++) {
          const b = blocks.requireBlock(h);
          const item = { header: encodeHeader(b.header), commit: encodeCommit(b.commit) };
          size += item.header.length + item.commit.length;
          if (items.length > 0 && size > HEADERS_BYTES_MAX) break;
          items.push(item);
        }
        return { t: 'headers', items };
      }
      case 'valset?':
        if (m.height < 1 || m.height > top + 1) return undefined;
        return { t: 'valset', height: m.height, validators: encode(chain.validatorsFor(m.height).map((x) => ({ pubKey: x.pubKey, power: x.power }))) };
      case 'block?': {
        if (m.height < 1 || m.height > top) return undefined;
        const b = blocks.requireBlock(m.height);
        const txs = blocks.getTxs(m.height);
        return { t: 'block', height: m.height, block: encodeBlock({ header: b.header, txs: txs.map((t) => t.tx) }), commit: encodeCommit(b.commit), results: txs.map((t) => t.result) };
      }
      case 'chunk?': {
        const at = m.height >= 1 && m.height <= top ? state.rootRefAt(m.height) : undefined;
        if (!at) return { t: 'chunk', id: m.id, height: m.height, pieces: [] };
        try {
          return { t: 'chunk', id: m.id, height: m.height, pieces: readSnapshotPieces(state, { hash: at.root, ref: at.ref }, m.positions, this.opts.chunkBytesMax) };
        } catch (e) {
          // a node pruned between the root lookup and the walk: the height is gone
          if (e instanceof SalusError && e.code === 'NOT_FOUND') return { t: 'chunk', id: m.id, height: m.height, pieces: [] };
          throw e;
        }
      }
      default:
        return undefined;
    }
  }
}
