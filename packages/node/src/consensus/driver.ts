import type { Logger } from 'pino';
import { type Ed25519, type IdentityKeys, toHex } from '@salus/core';
import {
  type Clock,
  type ConsensusEngine,
  type ConsensusMessage,
  type GuardedSigner,
  type PacerStatus,
  type TendermintEffect,
  type TendermintInput,
  type TendermintStatus,
  type WireMessage,
  FutureBuffer,
  ProposePacer,
  Tendermint,
  codecLimits,
  createGuardedSigner,
  decodeMessage,
  encodeMessage,
  offenceOf,
} from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { P2P } from '../p2p/index.js';
import { CH } from './channels.js';
import { type BftOptions, consensusOptions } from './options.js';
import { ChainBridge } from './chain-bridge.js';
import { PartsRelay } from './parts-relay.js';
import { FileWal } from './wal-file.js';
import { createFileSignerStore } from './signer-file.js';

export interface DriverMetrics {
  onCommit?(height: number, round: number, txs: number): void;
  onRejected?(reason: string): void;
  onVote?(): void;
  onEvidence?(): void;
}

export interface BftDriverDeps {
  readonly chain: Chain;
  readonly p2p: P2P;
  readonly keys: IdentityKeys;
  readonly ed: Ed25519;
  readonly clock: Clock;
  readonly log: Logger;
  readonly walPath: string;
  readonly signerPath: string;
  readonly metrics?: DriverMetrics;
  /** double signing found by the state machine (two votes, or two proposals for one round), for the evidence module */
  readonly onEvidence?: (evidence: Extract<TendermintEffect, { kind: 'evidence' }>['evidence']) => void;
  readonly onFatal: (e: unknown) => void;
}

type Job =
  | { readonly kind: 'wire'; readonly peer: string; readonly msg: WireMessage }
  | { readonly kind: 'message'; readonly peer: string; readonly msg: ConsensusMessage }
  | { readonly kind: 'input'; readonly input: TendermintInput }
  | { readonly kind: 'startHeight' };

/** Penalty for a peer whose consensus message is malformed or badly signed (p2p bans at -100). */
const BAD_MESSAGE_PENALTY = 50;

/**
 * Drives the Tendermint state machine (packages/consensus) for this node: the single writer of
 * consensus state, fed by one queue of peer messages, its own timeouts and block-proposal answers
 * (CometBFT's consensus/state.go). Every input goes to the WAL before the machine sees it; every
 * effect is carried out here: broadcasts to peers (a proposal's block in parts, `PartsRelay`),
 * timers (the propose timeout adapted by a `ProposePacer` shown every input with this clock's
 * time), proposing a block from the mempool, committing a decided block through the Chain,
 * evidence to the evidence module.
 */
export class BftDriver implements ConsensusEngine {
  private readonly wal: FileWal;
  private readonly machine: Tendermint;
  private readonly signer: GuardedSigner;
  private readonly pacer: ProposePacer;
  private readonly parts: PartsRelay;
  private readonly app: ChainBridge;
  private readonly future: FutureBuffer;
  private readonly queue: Job[] = [];
  private readonly timers = new Set<unknown>();
  private readonly limits;
  private draining = false;
  private running = false;
  private lastProgress = '';
  private currentPeer: string | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: BftDriverDeps,
  ) {
    const t = consensusOptions(opts);
    this.wal = new FileWal(deps.walPath, t);
    this.signer = createGuardedSigner({ ed25519: deps.ed, secretKey: deps.keys.signing.secretKey, store: createFileSignerStore(deps.signerPath, () => this.wal.flush()) });
    this.pacer = new ProposePacer(t, deps.keys.signing.publicKey);
    this.machine = new Tendermint({ chainId: deps.chain.chainId, ed25519: deps.ed, signer: this.signer, options: t, pacer: this.pacer });
    this.future = new FutureBuffer(opts.futureMessagesMax);
    this.limits = codecLimits(deps.chain.chainId, t);
    const relay = { partBytes: t.blockPartBytes, blockBytesMax: t.blockBytesMax, proposalsPerRoundMax: t.proposalsPerRoundMax, requestMs: opts.partRequestMs };
    this.parts = new PartsRelay(relay, {
      ...deps,
      chainId: deps.chain.chainId,
      machine: this.machine,
      deliver: (peer, msgs) => msgs.forEach((msg) => this.run({ kind: 'message', peer, msg })),
      misbehaved: (peer, reason) => deps.p2p.report(peer, BAD_MESSAGE_PENALTY, `consensus: ${reason}`),
    });
    this.app = new ChainBridge(opts, {
      ...deps,
      state: () => this.machine.state,
      running: () => this.running,
      later: (fn, ms) => this.later(fn, ms),
      input: (input) => this.enqueue({ kind: 'input', input }),
      startHeight: () => this.enqueue({ kind: 'startHeight' }),
    });
  }

  /** Runs `fn` after `ms`, unless the driver stops first. */
  private later(fn: () => void, ms: number): void {
    const t = this.deps.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  status(): TendermintStatus {
    return this.machine.status();
  }

  /** The propose timeout's current estimate and the proposers presumed down. */
  pacing(): PacerStatus {
    return this.pacer.status();
  }

  start(): void {
    const { p2p, chain, log } = this.deps;
    this.running = true;
    this.unsubscribe.push(
      p2p.onMessage((peer, ch, bytes) => {
        if (ch === CH.vote || ch === CH.proposal) this.receive(peer, bytes);
      }),
      p2p.onPeerConnected((peer) => {
        this.pacer.linkUp(peer);
        this.sendGossip(peer);
      }),
      // A validator's peer id is its key: a closed link presumes it down at once (a SIGKILLed
      // proposer's turn then costs the short propose timeout, not a whole missed turn first).
      p2p.onPeerDisconnected((peer) => this.pacer.linkDown(peer)),
    );
    const entries = this.wal.read();
    const first = entries[0];
    if (first?.kind === 'newHeight' && first.height === chain.lastHeight() + 1) {
      log.info({ height: first.height, inputs: entries.length }, 'consensus: replaying the WAL');
      for (const input of entries) this.execute(this.machine.handle(input), true);
      // Votes the signer holds for this height go back in and out: had the WAL lost its tail, the
      // machine would not know a vote it signed, and the round could miss it (SPEC.md §6).
      for (const vote of this.signer.signedVotes().filter((x) => x.height === first.height)) this.enqueue({ kind: 'input', input: { kind: 'vote', vote } });
    } else {
      this.enqueue({ kind: 'startHeight' });
    }
    this.later(() => this.gossipTick(), this.opts.gossipIntervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribe) u();
    for (const t of this.timers) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    this.parts.stop();
    this.wal.close();
  }

  /** Block sync committed blocks beyond the machine's height: start over at the chain's next height. */
  chainAdvanced(): void {
    if (this.deps.chain.lastHeight() >= this.machine.state.height) this.enqueue({ kind: 'startHeight' });
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let msg: WireMessage;
    try {
      msg = decodeMessage(bytes, this.limits);
    } catch (e) {
      this.deps.p2p.report(peer, BAD_MESSAGE_PENALTY, `consensus message: ${(e as Error).message}`);
      this.deps.metrics?.onRejected?.('malformed');
      return;
    }
    this.enqueue({ kind: 'wire', peer, msg });
  }

  private enqueue(job: Job): void {
    if (!this.running) return;
    this.queue.push(job);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    try {
      for (let n = 0; n < 1000 && this.queue.length > 0 && this.running; n++) this.run(this.queue.shift()!);
    } catch (e) {
      this.running = false;
      this.deps.onFatal(e);
      return;
    }
    if (this.queue.length > 0 && this.running) setImmediate(() => this.drain());
    else this.draining = false;
  }

  private run(job: Job): void {
    if (job.kind === 'startHeight') return this.startHeight();
    if (job.kind === 'input') return this.step(job.input);
    if (job.kind === 'wire') return this.onWire(job.peer, job.msg);
    const { msg, peer } = job;
    const height = this.machine.state.height;
    const h = msg.kind === 'proposal' ? msg.proposal.height : msg.vote.height;
    if (h < height || this.machine.state.step === 'idle') return;
    if (h > height) {
      // The next height's messages wait for it; further ahead means this node is behind (block sync catches up).
      this.future.offer(msg, height);
      return;
    }
    if (this.machine.holds(msg)) return;
    if (msg.kind === 'vote') this.deps.metrics?.onVote?.();
    this.currentPeer = peer;
    try {
      this.step(msg.kind === 'proposal' ? { kind: 'proposal', proposal: msg.proposal, block: msg.block, valid: this.app.isValid(msg) } : { kind: 'vote', vote: msg.vote });
    } finally {
      this.currentPeer = undefined;
    }
  }

  /** A proposal and its parts go to the relay until the block is whole; votes go straight on. */
  private onWire(peer: string, msg: WireMessage): void {
    switch (msg.kind) {
      case 'vote':
        return this.run({ kind: 'message', peer, msg });
      case 'proposal':
        return this.parts.onProposal(peer, msg.proposal);
      case 'blockPart':
        return this.parts.onPart(peer, msg.part);
      case 'partRequest':
        return this.parts.onRequest(peer, msg.request);
    }
  }

  private startHeight(): void {
    const { chain } = this.deps;
    const height = chain.lastHeight() + 1;
    if (this.machine.state.step !== 'idle' && this.machine.state.height >= height) return;
    this.step({ kind: 'newHeight', height, validators: chain.validatorsFor(height) });
    this.parts.prune(height);
    for (const msg of this.future.take(height)) this.run({ kind: 'message', peer: '', msg });
  }

  private step(input: TendermintInput): void {
    this.wal.append(input);
    const effects = this.machine.handle(input);
    this.pacer.observe(this.machine.state, input, this.deps.clock.now());
    this.execute(effects, false);
  }

  private execute(effects: readonly TendermintEffect[], replaying: boolean): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'broadcast':
          if (e.message.kind === 'proposal') this.parts.send(e.message, false);
          else this.deps.p2p.broadcast(CH.vote, encodeMessage(this.deps.chain.chainId, e.message));
          break;
        case 'scheduleTimeout':
          this.later(() => this.enqueue({ kind: 'input', input: { kind: 'timeout', height: e.height, round: e.round, step: e.step } }), e.ms);
          break;
        case 'getValue':
          this.app.proposeWhenReady(e.height, e.round, this.deps.clock.now());
          break;
        case 'decide':
          this.app.commit(e);
          break;
        case 'evidence': {
          const o = offenceOf(e.evidence);
          this.deps.log.warn({ validator: toHex(o.validator).slice(0, 16), height: o.height, round: o.round, type: o.type }, 'consensus: double signing');
          this.deps.metrics?.onEvidence?.();
          if (!replaying) this.deps.onEvidence?.(e.evidence);
          break;
        }
        case 'rejected':
          this.deps.metrics?.onRejected?.(e.reason);
          if (e.reason === 'bad-signature' && this.currentPeer) this.deps.p2p.report(this.currentPeer, BAD_MESSAGE_PENALTY, `consensus: ${e.detail}`);
          else this.deps.log.debug({ reason: e.reason, detail: e.detail }, 'consensus: input dropped');
          break;
        case 'signRefused':
          this.deps.log.warn({ height: e.height, round: e.round, what: e.what, reason: e.reason }, 'consensus: signer refused');
          break;
      }
    }
  }

  /** With no progress since the last tick, the messages peers may have missed are sent again. */
  private gossipTick(): void {
    if (!this.running) return;
    const st = this.machine.status();
    const progress = `${st.height}/${st.round}/${st.step}/${st.prevotes.count}/${st.precommits.count}`;
    if (progress === this.lastProgress) this.sendGossip();
    this.lastProgress = progress;
    this.later(() => this.gossipTick(), this.opts.gossipIntervalMs);
  }

  /** Gossip: votes, and proposals without their parts (a peer that lacks a block asks for its parts). */
  private sendGossip(peer?: string): void {
    const chainId = this.deps.chain.chainId;
    for (const m of this.machine.gossip()) {
      if (m.kind === 'proposal') {
        this.parts.send(m, true, peer);
        continue;
      }
      const bytes = encodeMessage(chainId, m);
      if (peer) this.deps.p2p.send(peer, CH.vote, bytes);
      else this.deps.p2p.broadcast(CH.vote, bytes);
    }
  }
}
