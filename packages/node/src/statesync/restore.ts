import type { Logger } from 'pino';
import { type BlockHeader, type Commit, type Ed25519, SalusError, decodeBlock, decodeCommit, decodeHeader, encode, toHex } from '@salus/core';
import type { Clock } from '@salus/consensus';
import type { Genesis } from '@salus/module';
import { buf } from '../storage/db.js';
import type { SqlDb } from '../storage/sql.js';
import { BlockStore } from '../ledger/blockstore.js';
import { SnapshotWriter } from '../state/snapshot-write.js';
import { writeBase } from '../state/base.js';
import { type Trust, checkBaseBlock, checkCommit, checkHeaderChain, checkValidators } from './light.js';
import { SnapshotRequests, type SnapshotP2P } from './requests.js';
import { fetchSnapshotTree } from './chunk-fetch.js';
import { HEADERS_PER_REQUEST_MAX, type SnapshotMessage } from './wire.js';
import type { StateSyncOptions } from './options.js';

export interface RestoreDeps {
  readonly db: SqlDb;
  readonly genesis: Genesis;
  readonly ed: Ed25519;
  readonly p2p: SnapshotP2P;
  readonly clock: Clock;
  readonly log: Logger;
  /** largest snapshot-channel message */
  readonly bytesMax: number;
}

export interface RestoreReport {
  readonly height: number;
  readonly entries: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly peers: number;
  readonly ms: number;
}

/** Tables a restore fills; emptied before each attempt (an interrupted one leaves the `state_sync` mark in meta). */
const TABLES = ['blocks', 'txs', 'tx_index', 'state', 'smt_nodes', 'smt_stale', 'smt_roots', 'valsets'] as const;

type Of<T extends SnapshotMessage['t']> = Extract<SnapshotMessage, { t: T }>;
const is = <T extends SnapshotMessage['t']>(t: T) => (m: SnapshotMessage): m is Of<T> => m.t === t;

/** Whether the data directory needs a restore: it holds no chain yet, or a restore was interrupted. */
export function needsRestore(db: SqlDb): boolean {
  return restoreInterrupted(db) || db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'genesis'").get() === undefined;
}

/** A restore began in this data directory and did not finish: it holds part of a state, no chain. */
export function restoreInterrupted(db: SqlDb): boolean {
  return db.prepare<[], { v: Buffer }>("SELECT v FROM meta WHERE k = 'state_sync'").get() !== undefined;
}

/**
 * State sync (CometBFT's model): an empty node takes the state at a recent snapshot height from
 * its peers instead of replaying every block. Trust comes from one header hash the operator gives
 * (`Trust`): the snapshot height b is below it, the headers b … trust are a hash chain back from
 * it, the commits of the trusted block and of b verify against the validator sets those headers
 * name, and the state must hash to the app hash of header b + 1 (the state after block b). The
 * state arrives as subtrees, each checked as it arrives (fetchSnapshotTree). Written at the end:
 * block b with its transactions, results and commit, the validator sets of b and b + 1, the
 * genesis, and `base` = b; block sync carries on from b + 1 when the node starts.
 */
export class StateSyncRestore {
  private readonly banned = new Set<string>();

  constructor(
    private readonly opts: StateSyncOptions,
    private readonly deps: RestoreDeps,
  ) {}

  async run(trust: Trust): Promise<RestoreReport> {
    const requests = new SnapshotRequests({ p2p: this.deps.p2p, clock: this.deps.clock, timeoutMs: this.opts.requestTimeoutMs, bytesMax: this.deps.bytesMax });
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.attempt(trust, requests);
        } catch (e) {
          if (!(e instanceof SalusError) || attempt >= this.opts.attemptsMax) throw e;
          this.deps.log.warn({ attempt, reason: e.message }, 'state sync: attempt failed; starting over');
        }
      }
    } finally {
      requests.close();
    }
  }

  private async attempt(trust: Trust, requests: SnapshotRequests): Promise<RestoreReport> {
    const { db, log, clock } = this.deps;
    const started = clock.now();
    this.clear();
    const { height, peers } = await this.discover(trust, requests);
    log.info({ height, peers: peers.length, trustHeight: trust.height }, 'state sync: snapshot chosen');
    const headers = await this.headers(requests, peers, height, trust.height);
    checkHeaderChain(trust, this.deps.genesis.chainId, headers.map((x) => x.header));
    const at = (h: number) => headers[h - height]!;
    const valset = async (h: number) => checkValidators((await this.askAny(requests, peers, { t: 'valset?', height: h }, (m): m is Of<'valset'> => m.t === 'valset' && m.height === h)).validators, at(h).header);
    const [baseVals, nextVals, trustVals] = [await valset(height), await valset(height + 1), await valset(trust.height)];
    checkCommit(this.deps.ed, at(trust.height).header, at(trust.height).commit, trustVals);
    checkCommit(this.deps.ed, at(height).header, at(height).commit, baseVals);
    const b = await this.askAny(requests, peers, { t: 'block?', height }, (m): m is Of<'block'> => m.t === 'block' && m.height === height);
    const block = decodeBlock(b.block);
    const { hashes, resultsRoot } = checkBaseBlock(block, b.results, at(height).header, at(height + 1).header);

    const writer = new SnapshotWriter(db, height);
    const stats = await fetchSnapshotTree({ requests, p2p: this.deps.p2p, writer, log, requestsPerPeer: this.opts.requestsPerPeer, bannedPeers: this.banned }, height, at(height + 1).header.appHash, peers);
    writer.finish(at(height + 1).header.appHash);
    const blocks = new BlockStore(db);
    db.transaction(() => {
      const meta = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
      meta.run('genesis', buf(encode(this.deps.genesis as never)));
      blocks.save(block.header, at(height).commit, block.txs, hashes, b.results, resultsRoot);
      const putValset = db.prepare('INSERT INTO valsets (height, validators) VALUES (?, ?)');
      const enc = (vals: typeof baseVals) => encode(vals.map((x) => ({ pubKey: x.pubKey, power: x.power })));
      putValset.run(height, buf(enc(baseVals)));
      if (toHex(enc(nextVals)) !== toHex(enc(baseVals))) putValset.run(height + 1, buf(enc(nextVals)));
      writeBase(db, height);
      db.prepare("DELETE FROM meta WHERE k = 'state_sync'").run();
    })();
    const report = { height, entries: writer.entries, chunks: stats.chunks, bytes: stats.bytes, peers: peers.length, ms: clock.now() - started };
    log.info(report, 'state sync: state restored');
    return report;
  }

  /** Empties what an earlier attempt wrote, and marks the directory as being restored. */
  private clear(): void {
    const { db } = this.deps;
    db.transaction(() => {
      for (const t of TABLES) db.prepare(`DELETE FROM ${t}`).run();
      db.prepare("DELETE FROM meta WHERE k IN ('genesis', 'base', 'state_sync')").run();
      db.prepare("INSERT INTO meta (k, v) VALUES ('state_sync', ?)").run(Buffer.from('restoring'));
    })();
  }

  /**
   * Asks every connected peer for its snapshot heights until one below the trusted height is
   * offered, waits `discoveryMs` more for others, and takes the highest; the peers offering it serve it.
   */
  private async discover(trust: Trust, requests: SnapshotRequests): Promise<{ height: number; peers: string[] }> {
    const { clock, p2p } = this.deps;
    const deadline = clock.now() + this.opts.discoveryTimeoutMs;
    const offers = new Map<string, number[]>();
    let firstAt: number | undefined;
    while (clock.now() < deadline) {
      const peers = p2p.connectedPeers().filter((p) => !this.banned.has(p));
      await Promise.allSettled(
        peers.map(async (p) => {
          const m = await requests.ask(p, { t: 'offers?' }, is('offers'));
          offers.set(p, m.heights.filter((h) => h >= 1 && h < trust.height));
        }),
      );
      const usable = [...offers.values()].some((hs) => hs.length > 0);
      if (usable) firstAt ??= clock.now();
      if (firstAt !== undefined && clock.now() - firstAt >= this.opts.discoveryMs) break;
      await new Promise<void>((r) => clock.setTimeout(r, usable ? Math.min(250, this.opts.discoveryMs) : 1_000));
    }
    const best = Math.max(0, ...[...offers.values()].flat());
    if (best === 0) throw new SalusError('TIMEOUT', `no peer offered a snapshot below the trusted height ${trust.height} within ${this.opts.discoveryTimeoutMs} ms`);
    return { height: best, peers: [...offers].filter(([p, hs]) => hs.includes(best) && !this.banned.has(p)).map(([p]) => p) };
  }

  /** Headers `from` … `to` with their commits, from whichever peer answers. */
  private async headers(requests: SnapshotRequests, peers: readonly string[], from: number, to: number): Promise<{ header: BlockHeader; commit: Commit }[]> {
    const out: { header: BlockHeader; commit: Commit }[] = [];
    while (from + out.length <= to) {
      const next = from + out.length;
      const m = await this.askAny(requests, peers, { t: 'headers?', from: next, count: Math.min(HEADERS_PER_REQUEST_MAX, to - next + 1) }, (x): x is Of<'headers'> => x.t === 'headers');
      if (m.items.length === 0) throw new SalusError('BAD_SNAPSHOT', `no peer sent header ${next}`);
      for (const it of m.items) {
        let header: BlockHeader;
        let commit: Commit;
        try {
          header = decodeHeader(it.header);
          commit = decodeCommit(it.commit);
        } catch (e) {
          throw new SalusError('BAD_SNAPSHOT', `header ${from + out.length} does not decode: ${(e as Error).message}`);
        }
        if (header.height !== from + out.length || commit.height !== header.height) throw new SalusError('BAD_SNAPSHOT', `a header of another height answered a request for ${from + out.length}`);
        out.push({ header, commit });
        if (from + out.length > to) break;
      }
    }
    return out;
  }

  /** Asks the peers in turn until one answers. */
  private async askAny<T extends SnapshotMessage>(requests: SnapshotRequests, peers: readonly string[], msg: SnapshotMessage, match: (m: SnapshotMessage) => m is T): Promise<T> {
    let last: unknown;
    for (const p of peers) {
      if (this.banned.has(p)) continue;
      try {
        return await requests.ask(p, msg, match);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof SalusError ? last : new SalusError('TIMEOUT', `no peer answered a ${msg.t} request`);
  }
}
