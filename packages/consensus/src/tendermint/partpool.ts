import { toHex } from '@salus/core';
import { PART_REQUEST_INDICES_MAX, type PartMessage, type PartRequest, PartSet, plausibleHeader } from './parts.js';
import type { ConsensusMessage, Proposal } from './types.js';
import { sameProposalBody } from './verify.js';

/**
 * What a driver does with block parts (CometBFT's part-set handling in its consensus reactor),
 * as a deterministic object that both drivers use: the simulated one and the node's.
 *
 * - Out: a proposal with its block becomes the proposal alone plus one message per part (`full`);
 *   gossip re-sends only the proposal (`hold` keeps its parts to serve).
 * - In: a proposal opens a part set for its signed header (the caller has checked the signature);
 *   each part is checked against that header's root on arrival (`onPart`: a bad one is 'invalid',
 *   for the caller to hold against the peer); parts that arrive before their proposal wait, within
 *   a byte budget; when a set is complete, every proposal naming it comes back with its block.
 * - Missing parts are asked for (`due`), from the peers that sent the proposal or parts, then from
 *   any other peer, one peer per request and a different one each time; any peer answers with the
 *   parts it holds (`answer`).
 * Sets are keyed by their root: a block re-proposed in a later round is not fetched twice.
 */
export interface PartPoolOptions {
  readonly partBytes: number;
  readonly blockBytesMax: number;
  /** part sets kept at once (each at most one block) */
  readonly setsMax: number;
  /** sets opened per height and round (an honest proposer signs one; an equivocator more) */
  readonly setsPerRoundMax: number;
  /** bytes of parts kept while their proposal has not arrived */
  readonly orphanBytesMax: number;
}

interface Entry<P> {
  readonly root: Uint8Array;
  readonly height: number;
  readonly round: number;
  readonly set: PartSet;
  block: Uint8Array | null;
  /** proposals naming this set that have not been handed out with their block */
  waiting: Proposal[];
  sources: P[];
  lastProgressAt: number;
  lastAskedAt: number;
  asked: number;
}

interface Orphan<P> {
  readonly key: string;
  readonly msg: PartMessage;
  readonly from: P;
}

export type PartOutcome = 'added' | 'duplicate' | 'invalid' | 'orphan';

export class PartPool<P> {
  private readonly sets = new Map<string, Entry<P>>();
  private orphans: Orphan<P>[] = [];
  private orphanBytes = 0;

  constructor(private readonly opts: PartPoolOptions) {}

  /** A proposal with its block, as its sender sends it first: the proposal, then every part. */
  full(msg: Extract<ConsensusMessage, { kind: 'proposal' }>): { proposal: Proposal; parts: PartMessage[] } {
    const e = this.complete(msg.proposal, msg.block);
    const { height, round, root } = e;
    const parts = Array.from({ length: e.set.header.total }, (_, i) => ({ height, round, root, part: e.set.part(i)! }));
    return { proposal: msg.proposal, parts };
  }

  /** Keeps the complete set of a proposal whose block this node holds (its own, or one the machine holds), to serve. */
  hold(proposal: Proposal, block: Uint8Array): void {
    this.complete(proposal, block);
  }

  private complete(proposal: Proposal, block: Uint8Array): Entry<P> {
    const key = toHex(proposal.parts.root);
    const known = this.sets.get(key);
    if (known?.block) return known;
    const set = PartSet.of(block, this.opts.partBytes);
    // a set being gathered becomes complete; proposals still waiting for it are answered when they come again
    const e: Entry<P> = { root: proposal.parts.root, height: proposal.height, round: proposal.round, set, block, waiting: [], sources: known?.sources ?? [], lastProgressAt: 0, lastAskedAt: 0, asked: 0 };
    this.sets.delete(key);
    this.insert(key, e);
    return e;
  }

  /**
   * A proposal from the network. Returns the proposals (it, and any other naming the same set) now
   * complete with their block: at once if the block is held, later from `onPart` while its parts are
   * gathered. `verify` (its signature) is asked before anything is kept for it. 'refused' if it does
   * not verify, its header is implausible, or too many sets are open for its round.
   */
  onProposal(p: Proposal, from: P, now: number, verify: () => boolean): ConsensusMessage[] | 'refused' {
    if (!plausibleHeader(p.parts, this.opts.partBytes, this.opts.blockBytesMax)) return 'refused';
    const key = toHex(p.parts.root);
    let e = this.sets.get(key);
    if (e && e.set.header.total !== p.parts.total) return 'refused';
    if (e?.block) return [{ kind: 'proposal', proposal: p, block: e.block }];
    if (e?.waiting.some((w) => w.round === p.round && sameProposalBody(w, p))) {
      this.source(e, from);
      return [];
    }
    if (!verify()) return 'refused';
    if (!e) {
      let open = 0;
      for (const x of this.sets.values()) if (x.height === p.height && x.round === p.round) open++;
      if (open >= this.opts.setsPerRoundMax) return 'refused';
      e = { root: p.parts.root, height: p.height, round: p.round, set: new PartSet(p.parts, this.opts.partBytes), block: null, waiting: [], sources: [], lastProgressAt: now, lastAskedAt: now, asked: 0 };
      this.insert(key, e);
    }
    e.waiting.push(p);
    this.source(e, from);
    const done: ConsensusMessage[] = [];
    for (const o of this.takeOrphans(key)) this.add(e, o.msg, o.from, now, done);
    return done;
  }

  /** A part from `from`: checked against its set's root; complete sets hand back their proposals with the block. */
  onPart(m: PartMessage, from: P, now: number): { outcome: PartOutcome; complete: ConsensusMessage[] } {
    const key = toHex(m.root);
    const e = this.sets.get(key);
    if (!e) {
      this.keepOrphan({ key, msg: m, from });
      return { outcome: 'orphan', complete: [] };
    }
    const complete: ConsensusMessage[] = [];
    return { outcome: this.add(e, m, from, now, complete), complete };
  }

  /** The parts of a request this node holds. */
  answer(r: PartRequest): PartMessage[] {
    const e = this.sets.get(toHex(r.root));
    if (!e) return [];
    const out: PartMessage[] = [];
    for (const i of r.indices.slice(0, PART_REQUEST_INDICES_MAX)) {
      const part = e.set.part(i);
      if (part) out.push({ height: e.height, round: e.round, root: e.root, part });
    }
    return out;
  }

  /**
   * Requests for the missing parts of sets a proposal waits for, with no progress for `afterMs`:
   * each to one peer — those that sent the proposal or parts first, then the others, in turn.
   */
  due(now: number, afterMs: number, peers: readonly P[]): { request: PartRequest; to: P }[] {
    const out: { request: PartRequest; to: P }[] = [];
    for (const e of this.sets.values()) {
      if (e.block || e.waiting.length === 0) continue;
      if (now - e.lastProgressAt < afterMs || now - e.lastAskedAt < afterMs) continue;
      const candidates = [...e.sources, ...peers.filter((x) => !e.sources.includes(x))];
      if (candidates.length === 0) continue;
      e.lastAskedAt = now;
      const to = candidates[e.asked++ % candidates.length]!;
      out.push({ request: { height: e.height, round: e.round, root: e.root, indices: e.set.missing(PART_REQUEST_INDICES_MAX) }, to });
    }
    return out;
  }

  /** Whether some set a proposal waits for is still incomplete (a driver arms its request timer). */
  get gathering(): boolean {
    for (const e of this.sets.values()) if (!e.block && e.waiting.length > 0) return true;
    return false;
  }

  /** Forgets sets and orphans below `height` − 1 (the previous height's may still be asked for). */
  prune(height: number): void {
    for (const [k, e] of this.sets) if (e.height < height - 1) this.sets.delete(k);
    this.orphans = this.orphans.filter((o) => o.msg.height >= height - 1);
    this.orphanBytes = this.orphans.reduce((n, o) => n + o.msg.part.bytes.length, 0);
  }

  get size(): number {
    return this.sets.size;
  }

  private add(e: Entry<P>, m: PartMessage, from: P, now: number, complete: ConsensusMessage[]): PartOutcome {
    if (e.block) return 'duplicate';
    const outcome = e.set.add(m.part);
    if (outcome !== 'added') return outcome;
    e.lastProgressAt = now;
    this.source(e, from);
    if (e.set.complete) {
      e.block = e.set.assemble();
      for (const p of e.waiting) complete.push({ kind: 'proposal', proposal: p, block: e.block });
      e.waiting = [];
    }
    return 'added';
  }

  private source(e: Entry<P>, from: P): void {
    if (!e.sources.includes(from)) e.sources.push(from);
  }

  private insert(key: string, e: Entry<P>): void {
    while (this.sets.size >= this.opts.setsMax) this.sets.delete(this.sets.keys().next().value!);
    this.sets.set(key, e);
  }

  private keepOrphan(o: Orphan<P>): void {
    const n = o.msg.part.bytes.length;
    if (n > this.opts.orphanBytesMax) return;
    this.orphans.push(o);
    this.orphanBytes += n;
    while (this.orphanBytes > this.opts.orphanBytesMax) this.orphanBytes -= this.orphans.shift()!.msg.part.bytes.length;
  }

  private takeOrphans(key: string): Orphan<P>[] {
    const mine = this.orphans.filter((o) => o.key === key);
    if (mine.length === 0) return [];
    this.orphans = this.orphans.filter((o) => o.key !== key);
    this.orphanBytes -= mine.reduce((n, o) => n + o.msg.part.bytes.length, 0);
    return mine;
  }
}
