import { encodeCommit } from '@salus/core';
import { FutureBuffer } from '../tendermint/future.js';
import type { TendermintEffect, TendermintInput } from '../tendermint/io.js';
import { Tendermint } from '../tendermint/machine.js';
import type { TendermintStatus } from '../tendermint/status.js';
import { type GuardedSigner, type Signer, createGuardedSigner } from '../tendermint/signer.js';
import type { ConsensusMessage } from '../tendermint/types.js';
import { replay } from '../tendermint/wal.js';
import { decodeInput, encodeInput } from '../tendermint/walcodec.js';
import { shortHash } from './blocks.js';
import { ByzantineBehaviour, type ByzantineMode, createUnguardedSigner } from './byzantine.js';
import { DiskChain } from './diskchain.js';
import { SimDisk } from './disk.js';
import { HostChain } from './host.js';
import type { Packet } from './network.js';
import type { NodeChain } from './nodechain.js';
import type { SimWorld } from './world.js';

/** Where an armed crash strikes within the next input's handling. */
export type CrashPoint = 'afterWal' | 'midEffects';

/**
 * A simulated validator: the consensus DRIVER around one Tendermint state machine, doing what the
 * real node must do — append each input to the WAL before stepping it, validate proposals with
 * the application, execute effects (send, arm timers, build blocks, store decisions), gossip,
 * buffer next-height messages, block-sync when behind, and on restart replay its WAL.
 */
export class SimNode {
  readonly disk = new SimDisk();
  up = false;
  private m: Tendermint | null = null;
  private incarnation = 0;
  private future: FutureBuffer;
  private lastSyncRequestAt = -Infinity;
  private armed: { point: CrashPoint; after: number; loseWalTail: number } | null = null;
  private byz: ByzantineBehaviour | null = null;
  private guarded: GuardedSigner | null = null;
  readonly peers: number[];
  readonly stats = { inputs: 0, rejected: 0, evidence: 0, signRefused: 0, malformed: 0, synced: 0, restarts: 0, crashes: 0, crashesAfterWal: 0, crashesSignedUnsent: 0 };
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
    this.m = new Tendermint({ chainId: this.w.chainId, ed25519: this.w.ed, signer, options: this.w.options.tendermint });
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
    if (this.byzantine !== null) {
      const signer = createUnguardedSigner(this.w.ed, this.secretKey);
      this.byz = new ByzantineBehaviour(this.byzantine, {
        chainId: this.w.chainId,
        signer,
        prng: this.w.prng,
        peers: this.peers,
        // a stale height gets a random header, which honest nodes refuse
        makeAltBlock: (h) => this.chain.makeBlock(h, this.pubKey, true) ?? this.w.app.makeBlock(this.w.prng, h, this.w.sched.now, null, this.pubKey),
      });
      return signer;
    }
    const inner = createGuardedSigner({ ed25519: this.w.ed, secretKey: this.secretKey, store: this.disk.signerStore() });
    this.guarded = inner;
    return {
      publicKey: inner.publicKey,
      sign: (req) => {
        const res = inner.sign(req);
        if (res.ok) this.w.checker.onSigned(this.id, req);
        return res;
      },
    };
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
    if (votes.length > 0 && this.up) this.send(votes.map((vote) => ({ kind: 'vote', vote })));
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
        case 'evidence':
          if (!replaying) this.stats.evidence++;
          this.log(`evidence: validator ${shortHash(e.evidence.voteA.validator)} ${e.evidence.voteA.type} ${e.evidence.voteA.height}/${e.evidence.voteA.round}`);
          break;
        case 'rejected':
          this.stats.rejected++;
          break;
        case 'signRefused':
          this.stats.signRefused++;
          this.log(`signer refused ${e.what} ${e.height}/${e.round}: ${e.reason}`);
          break;
      }
    }
    if (out.length > 0 && !noSend) this.send(out);
  }

  private alive(inc: number): boolean {
    return this.up && this.incarnation === inc;
  }

  /** Sends to every peer; an empty list still tells peers our committed height (gossip ticks). */
  private send(msgs: readonly ConsensusMessage[]): void {
    const committed = this.chain.lastHeight();
    if (this.byz === null || (this.byz.mode !== 'silent' && msgs.length === 0)) {
      const packet: Packet = { kind: 'msgs', committed, msgs: msgs.map((m) => this.w.wire.encode(m)) };
      for (const to of this.peers) this.w.net.send(this.id, to, packet);
      return;
    }
    this.sendTo(msgs.flatMap((m) => this.byz!.fanout(m)));
  }

  /** Sends each peer its own list of messages (Byzantine drivers). */
  private sendTo(items: readonly { to: number; msg: ConsensusMessage }[]): void {
    const per = new Map<number, Uint8Array[]>();
    for (const { to, msg } of items) per.set(to, [...(per.get(to) ?? []), this.w.wire.encode(msg)]);
    for (const [to, list] of per) this.w.net.send(this.id, to, { kind: 'msgs', committed: this.chain.lastHeight(), msgs: list });
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
    for (const msg of this.future.take(next)) if (this.up) this.receive(msg);
  }

  private scheduleGossip(inc: number): void {
    const base = this.w.options.gossipIntervalMs;
    this.w.sched.after(Math.floor(base * 0.75) + this.w.prng.int(Math.ceil(base / 2)), () => {
      if (!this.alive(inc)) return;
      const msgs = this.m!.gossip();
      this.send(msgs);
      if (msgs.length > 0 && this.byz !== null) this.send([]);
      this.scheduleGossip(inc);
    });
  }

  onPacket(from: number, p: Packet): void {
    if (!this.up || this.m === null) return;
    switch (p.kind) {
      case 'msgs':
        if (p.committed > this.chain.lastHeight()) this.requestSync(from, false);
        for (const bytes of p.msgs) {
          const msg = this.w.wire.decode(bytes);
          if (msg instanceof Error) this.stats.malformed++;
          else this.receive(msg);
          if (!this.up) return;
        }
        return;
      case 'syncRequest': {
        const b = this.chain.stored(p.height);
        if (b && (this.byz === null || this.byz.mode !== 'silent')) {
          this.w.net.send(this.id, from, { kind: 'syncResponse', height: p.height, block: b.block, commit: encodeCommit(b.commit), committed: this.chain.lastHeight() });
        }
        return;
      }
      case 'syncResponse':
        return this.applySync(from, p);
    }
  }

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
    if (this.byz !== null && valid) this.sendTo(this.byz.onProposal(msg.proposal));
  }

  private requestSync(from: number, now: boolean): void {
    if (!now && this.w.sched.now - this.lastSyncRequestAt < this.w.options.syncRetryMs) return;
    this.lastSyncRequestAt = this.w.sched.now;
    this.w.net.send(this.id, from, { kind: 'syncRequest', height: this.chain.lastHeight() + 1 });
  }

  /** Block sync: a committed block from a peer, accepted only with a commit that verifies. */
  private applySync(from: number, p: Extract<Packet, { kind: 'syncResponse' }>): void {
    const res = this.chain.checkSynced(p);
    if ('refused' in res) {
      if (p.height === this.chain.lastHeight() + 1) this.log(`sync of ${p.height} from n${from} refused: ${res.refused}`);
      return;
    }
    this.stats.synced++;
    this.log(`synced ${p.height} ${shortHash(res.commit.blockHash)} from n${from}`);
    this.chain.store(this.id, p.height, p.block, res.commit.blockHash, res.commit, this.honest);
    this.ensureHeight();
    if (p.committed > this.chain.lastHeight()) this.requestSync(from, true);
  }
}
