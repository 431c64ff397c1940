import type { Logger } from 'pino';
import type { Ed25519 } from '@salus/core';
import {
  type Clock,
  type ConsensusMessage,
  type PartMessage,
  type PartRequest,
  type Proposal,
  type Tendermint,
  PartPool,
  encodeMessage,
  indexOf,
  proposerIndex,
  verifyProposalSignature,
} from '@salus/consensus';
import type { P2P } from '../p2p/index.js';
import { CH } from './channels.js';

export interface PartsRelayOptions {
  /** the network's block part size (consensus `blockPartBytes`) */
  readonly partBytes: number;
  readonly blockBytesMax: number;
  readonly proposalsPerRoundMax: number;
  /** a proposal whose parts made no progress for this long asks one more peer for the missing ones */
  readonly requestMs: number;
}

export interface PartsRelayDeps {
  readonly chainId: string;
  readonly p2p: P2P;
  readonly clock: Clock;
  readonly ed: Ed25519;
  readonly log: Logger;
  readonly machine: Tendermint;
  /** proposals now complete with their block, for the driver's queue */
  readonly deliver: (peer: string, msgs: readonly ConsensusMessage[]) => void;
  /** a peer sent something no honest node sends (a part failing its proof, a badly signed proposal) */
  readonly misbehaved: (peer: string, reason: string) => void;
}

/** Part sets kept at once: a few rounds' proposals of this height and the next. */
const PART_SETS_MAX = 16;

/**
 * Block parts on the node's links (CometBFT's consensus data channel). A proposal goes out alone,
 * then its block in parts of `blockPartBytes`, each with its Merkle proof; gossip re-sends the
 * proposal alone. Coming in, a proposal from the round's proposer whose signature verifies opens a
 * part set (`PartPool`); each part is checked against the signed root as it arrives; a peer whose
 * part fails is reported. Missing parts are asked for after `requestMs` without progress, from the
 * peers that sent the proposal or parts first, then from any other, one peer at a time; any peer
 * answers from the parts it holds. All on the proposal channel, so votes still overtake a block
 * that is being sent.
 */
export class PartsRelay {
  private readonly pool: PartPool<string>;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly opts: PartsRelayOptions,
    private readonly deps: PartsRelayDeps,
  ) {
    const { partBytes, blockBytesMax, proposalsPerRoundMax } = opts;
    this.pool = new PartPool({ partBytes, blockBytesMax, setsMax: PART_SETS_MAX, setsPerRoundMax: proposalsPerRoundMax, orphanBytesMax: blockBytesMax });
  }

  /** The machine's proposal with its block, to every peer (or `peer`): the proposal, then its parts; with `gossip`, the proposal alone. */
  send(msg: Extract<ConsensusMessage, { kind: 'proposal' }>, gossip: boolean, peer?: string): void {
    if (gossip) {
      this.pool.hold(msg.proposal, msg.block);
      this.out({ kind: 'proposal', proposal: msg.proposal }, peer);
      return;
    }
    const full = this.pool.full(msg);
    this.out({ kind: 'proposal', proposal: full.proposal }, peer);
    for (const part of full.parts) this.out({ kind: 'blockPart', part }, peer);
  }

  /** A proposal from a peer (run in the driver's queue: it reads the machine's state). */
  onProposal(peer: string, p: Proposal): void {
    const { machine, ed, chainId } = this.deps;
    const st = machine.state;
    if (st.step === 'idle' || p.height < st.height || p.height > st.height + 1 || machine.holds({ kind: 'proposal', proposal: p })) return;
    // The machine would refuse a proposal from anyone but the round's proposer: gather no parts for it.
    if (p.height === st.height && indexOf(st.validators, p.proposer) !== proposerIndex(st.validators, p.height, p.round)) return;
    let forged = false;
    const res = this.pool.onProposal(p, peer, this.deps.clock.now(), () => !(forged = !verifyProposalSignature(ed, chainId, p)));
    if (forged) this.deps.misbehaved(peer, `proposal ${p.height}/${p.round} does not verify`);
    if (res !== 'refused') this.done(peer, res);
  }

  onPart(peer: string, m: PartMessage): void {
    const r = this.pool.onPart(m, peer, this.deps.clock.now());
    if (r.outcome === 'invalid') this.deps.misbehaved(peer, `block part ${m.part.index} of ${m.height}/${m.round} fails its proof`);
    this.done(peer, r.complete);
  }

  onRequest(peer: string, r: PartRequest): void {
    for (const part of this.pool.answer(r)) this.out({ kind: 'blockPart', part }, peer);
  }

  /** Forgets part sets of heights before the previous one. */
  prune(height: number): void {
    this.pool.prune(height);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private done(peer: string, complete: readonly ConsensusMessage[]): void {
    if (complete.length > 0) this.deps.deliver(peer, complete);
    this.arm();
  }

  private out(msg: Parameters<typeof encodeMessage>[1], peer?: string): void {
    const bytes = encodeMessage(this.deps.chainId, msg);
    if (peer) this.deps.p2p.send(peer, CH.proposal, bytes);
    else this.deps.p2p.broadcast(CH.proposal, bytes);
  }

  /** While a proposal waits for parts, ask for the missing ones every requestMs. */
  private arm(): void {
    if (this.stopped || this.timer !== undefined || !this.pool.gathering) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      const due = this.pool.due(this.deps.clock.now(), this.opts.requestMs, this.deps.p2p.connectedPeers());
      for (const { request, to } of due) {
        this.deps.log.debug({ height: request.height, round: request.round, missing: request.indices.length, peer: to.slice(0, 16) }, 'consensus: asking for block parts');
        this.out({ kind: 'partRequest', request }, to);
      }
      this.arm();
    }, this.opts.requestMs);
  }
}
