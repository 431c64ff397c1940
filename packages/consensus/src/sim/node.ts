import { offenceOf } from '../tendermint/evidence.js';
import { FutureBuffer } from '../tendermint/future.js';
import type { TendermintEffect, TendermintInput } from '../tendermint/io.js';
import { Tendermint } from '../tendermint/machine.js';
import { ProposePacer } from '../tendermint/pacer.js';
import type { TendermintStatus } from '../tendermint/status.js';
import type { GuardedSigner, Signer } from '../tendermint/signer.js';
import type { ConsensusMessage } from '../tendermint/types.js';
import { replay } from '../tendermint/wal.js';
import { decodeInput, encodeInput } from '../tendermint/walcodec.js';
import { shortHash } from './blocks.js';
import type { ByzantineBehaviour, ByzantineMode } from './byzantine.js';
import { DiskChain } from './diskchain.js';
import { SimDisk } from './disk.js';
import { HostChain } from './host.js';
import type { Packet } from './network.js';
import type { NodeChain } from './nodechain.js';
import { SimRelay } from './relay.js';
import { makeSimSigner } from './signers.js';
import { type NodeStats, nodeStats } from './stats.js';
import { SimSyncer } from './syncer.js';
import type { SimWorld } from './world.js';

/** Where an armed crash strikes within the next input's handling. */
export type CrashPoint = 'afterWal' | 'midEffects';

/**
 * A simulated validator: the consensus DRIVER around one Tendermint state machine, doing what the
 * real node must do — append each input to the WAL before stepping it, validate proposals with
 * the application, execute effects (send, arm timers, build blocks, store decisions), pace its
 * propose timeouts, gossip, move blocks in parts (`SimRelay`), buffer next-height messages,
 * block-sync when behind (`SimSyncer`), and on restart replay its WAL.
 */
export class SimNode {
  readonly disk = new SimDisk();
  up = false;
  private m: Tendermint | null = null;
  private incarnation = 0;
  private future: FutureBuffer;
  private armed: { point: CrashPoint; after: number; loseWalTail: number } | null = null;
  private byz: ByzantineBehaviour | null = null;
  private guarded: GuardedSigner | null = null;
  private pacer: ProposePacer;
  private relay: SimRelay | null = null;
  private readonly syncer: SimSyncer;
  readonly peers: number[];
  readonly stats: NodeStats = nodeStats();

  readonly pubKey: Uint8Array;
  /** its blocks: random headers on simulated disk, or a real ledger (host mode) */
  private readonly chain: NodeChain;

  constructor(
    private readonly w: SimWorld,
    readonly id: number,
    private readonly secretKey: Uint8Array,
    readonly byzantine: ByzantineMode | null,
  ) {
    this.future = new FutureBuffer(w.options.futureBufferMax);
    this.peers = Array.from({ length: w.nodeCount }, (_, i) => i).filter((i) => i !== id);
    this.pubKey = w.ed.publicKey(secretKey);
    this.chain = w.host ? new HostChain(w, w.host.options, w.host.ledgers[id]!, (what) => this.log(what)) : new DiskChain(w, this.disk);
    this.pacer = new ProposePacer(w.options.tendermint, this.pubKey);
    const silent = () => this.byz?.mode === 'silent';
    this.syncer = new SimSyncer(w, { id, chain: this.chain, honest: byzantine === null, stats: this.stats, silent, log: (what) => this.log(what), advanced: () => this.ensureHeight() });
  }

  get honest(): boolean {
    return this.byzantine === null;
  }

  /** Height of the last block this node stored. */
  get committed(): number {
    return this.chain.lastHeight();
  }

  status(): TendermintStatus | null {
    return this.m?.status() ?? null;
  }

  private log(what: string): void {
    this.w.trace.log(this.w.sched.now, `n${this.id}`, what);
  }

  /** Starts (or restarts) from disk: replay the WAL, redo its effects idempotently, resume. */
  start(): void {
    this.up = true;
    if (++this.incarnation > 1) this.chain.restarted();
    this.future = new FutureBuffer(this.w.options.futureBufferMax);
    const signer = this.makeSigner();
    // Pacing is soft state: a restarted node starts with the configured timeouts again.
    this.pacer = new ProposePacer(this.w.options.tendermint, this.pubKey);
    this.m = new Tendermint({ chainId: this.w.chainId, ed25519: this.w.ed, signer, options: this.w.options.tendermint, pacer: this.pacer });
    const inc = this.incarnation;
    this.relay = new SimRelay(this.w, {
      id: this.id,
      peers: this.peers,
      stats: this.stats,
      byz: this.byz,
      machine: () => this.m,
      committed: () => this.chain.lastHeight(),
      alive: () => this.alive(inc),
      receive: (msg) => this.receive(msg),
    });
    const wal = this.disk.readWal().map((b) => decodeInput(b, this.w.options.tendermint));
    if (wal.length > 0) this.stats.restarts++;
    const inputs = this.chain.replayable(wal);
    if (inputs.length > 0) this.log(`restart: replaying ${inputs.length} WAL entries`);
    this.execute(replay(this.m, inputs), true);
    this.ensureHeight();
    this.resendSignedVotes();
    this.scheduleGossip(this.incarnation);
  }

  crash(loseWalTail = 0): void {
    if (!this.up) return;
    this.up = false;
    this.armed = null;
    this.stats.crashes++;
    this.m = null;
    if (loseWalTail > 0) this.disk.loseWalTail(loseWalTail);
    this.log(`crash${loseWalTail > 0 ? ` (losing ${loseWalTail} unsynced WAL entries)` : ''}`);
  }

  /** The next input crashes the node at `point` (midEffects: the first input that signs, after `after` of its effects ran). */
  armCrash(point: CrashPoint, after: number, loseWalTail = 0): void {
    this.armed = { point, after, loseWalTail };
  }

  disarm(): void {
    this.armed = null;
  }

  private makeSigner(): Signer {
    const made = makeSimSigner(this.w, { id: this.id, secretKey: this.secretKey, pubKey: this.pubKey, peers: this.peers, byzantine: this.byzantine, disk: this.disk, chain: this.chain });
    this.byz = made.byz;
    this.guarded = made.guarded;
    return made.signer;
  }

  /**
   * After a replay, the votes the signer holds for this height go back in (as inputs, so the WAL
   * has them) and out (to the peers). If the WAL lost entries, the replayed machine may not know
   * a vote it signed and never sent; without it, it would try to sign a different one, be refused,
   * and the round could lack the 2f+1 precommits everyone waits for.
   */
  private resendSignedVotes(): void {
    if (this.guarded === null || this.m === null) return;
    const votes = this.guarded.signedVotes().filter((v) => v.height === this.m!.state.height);
    for (const vote of votes) if (this.up) this.receive({ kind: 'vote', vote });
    if (votes.length > 0 && this.up) this.relay!.send(votes.map((vote) => ({ kind: 'vote', vote })), false);
  }

  /** WAL append, then step, then effects — the order every driver must keep. */
  private input(input: TendermintInput): void {
    if (!this.up || this.m === null) return;
    this.stats.inputs++;
    this.disk.appendWal(encodeInput(input), input.kind === 'newHeight');
    if (this.armed?.point === 'afterWal') {
      this.stats.crashesAfterWal++;
      return this.crash(this.armed.loseWalTail);
    }
    const before = this.m.state;
    const [h0, r0, s0] = [before.height, before.round, before.step];
    const effects = this.m.handle(input);
    const st = this.m.state;
    this.pacer.observe(st, input, this.w.sched.now);
    if (st.height !== h0 || st.round !== r0 || st.step !== s0) {
      this.log(`${st.height}/${st.round} ${st.step} (lock ${st.lockedRound}:${shortHash(st.lockedHash)} valid ${st.validRound}:${shortHash(st.validHash)}) after ${input.kind}`);
    }
    // An armed mid-effects crash strikes once the machine has signed something (a broadcast is
    // due): the signer's state is on disk, the messages never leave — "crash between sign and send".
    if (this.armed?.point === 'midEffects' && effects.some((e) => e.kind === 'broadcast')) {
      const { after, loseWalTail } = this.armed;
      this.stats.crashesSignedUnsent++;
      this.execute(effects.slice(0, after % effects.length), false, true);
      return this.crash(loseWalTail);
    }
    this.execute(effects);
  }

  /** Runs effects; `replaying` marks effects of a WAL replay, `noSend` a node about to crash. */
  private execute(effects: readonly TendermintEffect[], replaying = false, noSend = false): void {
    const out: ConsensusMessage[] = [];
    const inc = this.incarnation;
    for (const e of effects) {
      switch (e.kind) {
        case 'broadcast':
          out.push(e.message);
          break;
        case 'scheduleTimeout':
          this.w.sched.after(e.ms, () => {
            if (this.alive(inc)) this.input({ kind: 'timeout', height: e.height, round: e.round, step: e.step });
          });
          break;
        case 'getValue':
          this.w.sched.after(this.w.options.appDelayMs, () => {
            if (!this.alive(inc)) return;
            const v = this.chain.makeBlock(e.height, this.pubKey);
            if (v) this.input({ kind: 'value', height: e.height, round: e.round, ...v });
          });
          break;
        case 'decide':
          this.onDecide(e);
          break;
        case 'evidence': {
          const o = offenceOf(e.evidence);
          if (!replaying) {
            this.stats.evidence++;
            if (o.type === 'proposal') this.stats.proposalEvidence++;
            if (this.honest) this.w.checker.onEvidence(this.id, e.evidence, this.chain.validatorsAt(o.height));
          }
          this.log(`evidence: validator ${shortHash(o.validator)} ${o.type} ${o.height}/${o.round}`);
          break;
        }
        case 'rejected':
          this.stats.rejected++;
          break;
        case 'signRefused':
          this.stats.signRefused++;
          this.log(`signer refused ${e.what} ${e.height}/${e.round}: ${e.reason}`);
          break;
      }
    }
    if (out.length > 0 && !noSend) this.relay!.send(out, false);
  }

  private alive(inc: number): boolean {
    return this.up && this.incarnation === inc;
  }

  private onDecide(e: Extract<TendermintEffect, { kind: 'decide' }>): void {
    if (this.chain.lastHeight() < e.height) {
      this.log(`decide ${e.height} ${shortHash(e.blockHash)} in round ${e.round}`);
      this.chain.store(this.id, e.height, e.block, e.blockHash, e.commit, this.honest);
    }
    const inc = this.incarnation;
    this.w.sched.after(this.w.options.commitDelayMs, () => {
      if (this.alive(inc)) this.ensureHeight();
    });
  }

  /** If the machine is not past the last stored block (fresh start, decided, synced), start the next height. */
  private ensureHeight(): void {
    if (this.m === null) return;
    const next = this.chain.lastHeight() + 1;
    const st = this.m.state;
    if (st.step !== 'idle' && st.height >= next) return;
    this.input({ kind: 'newHeight', height: next, validators: this.chain.validatorsAt(next) });
    this.relay?.prune(next);
    for (const msg of this.future.take(next)) if (this.up) this.receive(msg);
  }

  private scheduleGossip(inc: number): void {
    const base = this.w.options.gossipIntervalMs;
    this.w.sched.after(Math.floor(base * 0.75) + this.w.prng.int(Math.ceil(base / 2)), () => {
      if (!this.alive(inc)) return;
      const msgs = this.m!.gossip();
      this.relay!.send(msgs, true);
      if (msgs.length > 0 && this.byz !== null) this.relay!.send([], true);
      this.scheduleGossip(inc);
    });
  }

  onPacket(from: number, p: Packet): void {
    if (!this.up || this.m === null) return;
    switch (p.kind) {
      case 'msgs':
        this.syncer.heard(from, p.committed);
        for (const bytes of p.msgs) {
          const msg = this.w.wire.decode(bytes);
          if (msg instanceof Error) this.stats.malformed++;
          else this.relay!.onWire(from, msg);
          if (!this.up) return;
        }
        return;
      case 'syncRequest':
        return this.syncer.serve(from, p.height);
      case 'syncResponse':
        return this.syncer.apply(from, p);
    }
  }

  /** A vote, or a proposal with its whole block (assembled from parts): to the machine, or kept for the next height. */
  private receive(msg: ConsensusMessage): void {
    const m = this.m;
    if (m === null) return;
    const h = msg.kind === 'proposal' ? msg.proposal.height : msg.vote.height;
    const st = m.state;
    if (h < st.height) return;
    if (h > st.height || st.step === 'commit') {
      this.future.offer(msg, st.height);
      return;
    }
    if (m.holds(msg)) return;
    if (msg.kind === 'vote') return this.input({ kind: 'vote', vote: msg.vote });
    const valid = this.chain.isValid(msg.proposal, msg.block);
    this.input({ kind: 'proposal', proposal: msg.proposal, block: msg.block, valid });
    if (this.byz !== null && valid) this.relay!.sendTo(this.byz.onProposal(msg.proposal));
  }
}
