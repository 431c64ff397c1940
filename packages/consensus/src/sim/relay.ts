import type { Tendermint } from '../tendermint/machine.js';
import { PartPool } from '../tendermint/partpool.js';
import type { PartMessage } from '../tendermint/parts.js';
import { proposerIndex } from '../tendermint/proposer.js';
import type { ConsensusMessage, Proposal, WireMessage } from '../tendermint/types.js';
import { indexOf } from '../tendermint/validators.js';
import { verifyProposalSignature } from '../tendermint/verify.js';
import type { ByzantineBehaviour } from './byzantine.js';
import type { SimWorld } from './world.js';

/** Counters the relay keeps on its node's behalf. */
export interface RelayStats {
  rejected: number;
  badParts: number;
  partRequests: number;
  partsServed: number;
}

/** What the relay needs of its node (one incarnation of it). */
export interface RelayHost {
  readonly id: number;
  readonly peers: readonly number[];
  readonly stats: RelayStats;
  readonly byz: ByzantineBehaviour | null;
  machine(): Tendermint | null;
  committed(): number;
  /** still the incarnation that made this relay, and up */
  alive(): boolean;
  /** a message for the machine: a vote, or a proposal with its whole block */
  receive(msg: ConsensusMessage): void;
}

/**
 * The simulated driver's network side, as the node's driver does it: the machine's messages go out
 * as wire messages — a proposal alone, then its block in parts, each part in a packet of its own so
 * the network loses, duplicates and reorders parts one by one — and wire messages come in: proposals
 * open part sets (`PartPool`), parts are checked against the signed root, missing parts are asked
 * for from one peer after another, and peers' requests are answered with the parts held.
 */
export class SimRelay {
  private readonly pool: PartPool<number>;
  private armed = false;

  constructor(
    private readonly w: SimWorld,
    private readonly host: RelayHost,
  ) {
    const t = w.options.tendermint;
    this.pool = new PartPool({ partBytes: t.blockPartBytes, blockBytesMax: t.blockBytesMax, setsMax: 16, setsPerRoundMax: t.proposalsPerRoundMax, orphanBytesMax: t.blockBytesMax });
  }

  /** The machine's messages to every peer (Byzantine drivers: what their behaviour makes of them); `gossip` re-sends proposals without their parts. */
  send(msgs: readonly ConsensusMessage[], gossip: boolean): void {
    const byz = this.host.byz;
    if (byz === null || (byz.mode !== 'silent' && msgs.length === 0)) {
      const wires: WireMessage[] = [];
      const parts: PartMessage[] = [];
      for (const m of msgs) this.out(m, gossip, wires, parts);
      for (const to of this.host.peers) this.packet(to, wires, parts);
      return;
    }
    const per = new Map<number, { wires: WireMessage[]; parts: PartMessage[] }>();
    for (const { to, msg } of msgs.flatMap((m) => byz.fanout(m))) {
      let q = per.get(to);
      if (!q) per.set(to, (q = { wires: [], parts: [] }));
      this.out(msg, gossip, q.wires, q.parts);
    }
    for (const [to, q] of per) this.packet(to, q.wires, q.parts);
  }

  /** Messages for one peer only (a Byzantine driver's extra votes). */
  sendTo(items: readonly { to: number; msg: ConsensusMessage }[]): void {
    for (const { to, msg } of items) {
      const wires: WireMessage[] = [];
      const parts: PartMessage[] = [];
      this.out(msg, false, wires, parts);
      this.packet(to, wires, parts);
    }
  }

  onWire(from: number, msg: WireMessage): void {
    switch (msg.kind) {
      case 'vote':
        return this.host.receive(msg);
      case 'proposal':
        return this.onProposal(from, msg.proposal);
      case 'blockPart': {
        const r = this.pool.onPart(msg.part, from, this.w.sched.now);
        if (r.outcome === 'invalid') this.host.stats.badParts++;
        this.deliver(r.complete);
        return;
      }
      case 'partRequest': {
        const parts = this.pool.answer(msg.request);
        this.host.stats.partsServed += parts.length;
        if (parts.length > 0) this.packet(from, [], parts);
        return;
      }
    }
  }

  /** Forgets part sets of heights before the previous one. */
  prune(height: number): void {
    this.pool.prune(height);
  }

  private out(m: ConsensusMessage, gossip: boolean, wires: WireMessage[], parts: PartMessage[]): void {
    if (m.kind === 'vote') return void wires.push(m);
    if (gossip) {
      this.pool.hold(m.proposal, m.block);
      wires.push({ kind: 'proposal', proposal: m.proposal });
      return;
    }
    const full = this.pool.full(m);
    wires.push({ kind: 'proposal', proposal: full.proposal });
    parts.push(...full.parts);
  }

  /** One packet with the messages (also when empty: it carries our committed height), then one per part. */
  private packet(to: number, wires: readonly WireMessage[], parts: readonly PartMessage[]): void {
    const byz = this.host.byz;
    if (byz?.mode === 'silent') return;
    const committed = this.host.committed();
    const { net, wire } = this.w;
    if (wires.length > 0 || parts.length === 0) net.send(this.host.id, to, { kind: 'msgs', committed, msgs: wires.map((m) => wire.encode(m)) });
    for (const p of parts) net.send(this.host.id, to, { kind: 'msgs', committed, msgs: [wire.encode({ kind: 'blockPart', part: byz ? byz.partOut(p) : p })] });
  }

  private onProposal(from: number, p: Proposal): void {
    const m = this.host.machine();
    if (m === null) return;
    const st = m.state;
    if (p.height < st.height || p.height > st.height + 1 || m.holds({ kind: 'proposal', proposal: p })) return;
    // Before opening a part set: the round's proposer (at our height), and its signature.
    if (p.height === st.height && st.step !== 'idle' && indexOf(st.validators, p.proposer) !== proposerIndex(st.validators, p.height, p.round)) {
      this.host.stats.rejected++;
      return;
    }
    const res = this.pool.onProposal(p, from, this.w.sched.now, () => verifyProposalSignature(this.w.ed, this.w.chainId, p));
    if (res === 'refused') this.host.stats.rejected++;
    else this.deliver(res);
  }

  private deliver(complete: readonly ConsensusMessage[]): void {
    for (const c of complete) if (this.host.alive()) this.host.receive(c);
    this.arm();
  }

  /** While a proposal waits for parts, ask for the missing ones every partRequestMs. */
  private arm(): void {
    if (this.armed || !this.pool.gathering) return;
    this.armed = true;
    const ms = this.w.options.partRequestMs;
    this.w.sched.after(ms, () => {
      this.armed = false;
      if (!this.host.alive()) return;
      for (const { request, to } of this.pool.due(this.w.sched.now, ms, this.host.peers)) {
        this.host.stats.partRequests++;
        this.packet(to, [{ kind: 'partRequest', request }], []);
      }
      this.arm();
    });
  }
}
