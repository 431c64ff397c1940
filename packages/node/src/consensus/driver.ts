import type { Logger } from 'pino';
import {
  type Block,
  type Ed25519,
  type IdentityKeys,
  SalusError,
  bytesEqual,
  decodeBlock,
  encodeBlock,
  headerHash,
  toHex,
} from '@salus/core';
import {
  type Clock,
  type ConsensusEngine,
  type ConsensusMessage,
  type GuardedSigner,
  type TendermintEffect,
  type TendermintInput,
  type TendermintStatus,
  FutureBuffer,
  Tendermint,
  codecLimits,
  createGuardedSigner,
  decodeMessage,
  encodeMessage,
} from '@salus/consensus';
import type { Chain } from '../ledger/chain.js';
import type { P2P } from '../p2p/index.js';
import { CH } from './channels.js';
import type { BftOptions } from './options.js';
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
  /** duplicate-vote evidence found by the state machine, as encoded bytes, for the evidence module */
  readonly onEvidence?: (evidence: Extract<TendermintEffect, { kind: 'evidence' }>['evidence']) => void;
  readonly onFatal: (e: unknown) => void;
}

type Job =
  | { readonly kind: 'message'; readonly peer: string; readonly msg: ConsensusMessage }
  | { readonly kind: 'input'; readonly input: TendermintInput }
  | { readonly kind: 'startHeight' };

/** Penalty for a peer whose consensus message is malformed or badly signed (p2p bans at -100). */
const BAD_MESSAGE_PENALTY = 50;

/**
 * Drives the Tendermint state machine (packages/consensus) for this node: the single writer of
 * consensus state, fed by one queue of peer messages, its own timeouts and block-proposal answers
 * (CometBFT's consensus/state.go). Every input goes to the WAL before the machine sees it; every
 * effect is carried out here: broadcasts to peers, timers, proposing a block from the mempool,
 * committing a decided block through the Chain, evidence to the evidence module.
 */
export class BftDriver implements ConsensusEngine {
  private readonly wal: FileWal;
  private readonly machine: Tendermint;
  private readonly signer: GuardedSigner;
  private readonly future: FutureBuffer;
  private readonly queue: Job[] = [];
  private readonly timers = new Set<unknown>();
  private readonly limits;
  private draining = false;
  private running = false;
  private gossipTimer: unknown;
  private lastProgress = '';
  private currentPeer: string | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly opts: BftOptions,
    private readonly deps: BftDriverDeps,
  ) {
    const t = opts.tendermint;
    this.wal = new FileWal(deps.walPath, t);
    this.signer = createGuardedSigner({ ed25519: deps.ed, secretKey: deps.keys.signing.secretKey, store: createFileSignerStore(deps.signerPath, () => this.wal.flush()) });
    this.machine = new Tendermint({ chainId: deps.chain.chainId, ed25519: deps.ed, signer: this.signer, options: t });
    this.future = new FutureBuffer(opts.futureMessagesMax);
    this.limits = codecLimits(deps.chain.chainId, t);
  }

  status(): TendermintStatus {
    return this.machine.status();
  }

  start(): void {
    const { p2p, chain, log } = this.deps;
    this.running = true;
    this.unsubscribe.push(
      p2p.onMessage((peer, ch, bytes) => {
        if (ch === CH.vote || ch === CH.proposal) this.receive(peer, bytes);
      }),
      p2p.onPeerConnected((peer) => this.sendGossip(peer)),
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
    this.gossipTimer = this.deps.clock.setTimeout(() => this.gossipTick(), this.opts.gossipIntervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribe) u();
    for (const t of this.timers) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    if (this.gossipTimer !== undefined) this.deps.clock.clearTimeout(this.gossipTimer);
    this.wal.close();
  }

  /** Block sync committed blocks beyond the machine's height: start over at the chain's next height. */
  chainAdvanced(): void {
    if (this.deps.chain.lastHeight() >= this.machine.state.height) this.enqueue({ kind: 'startHeight' });
  }

  private receive(peer: string, bytes: Uint8Array): void {
    let msg: ConsensusMessage;
    try {
      msg = decodeMessage(bytes, this.limits);
    } catch (e) {
      this.deps.p2p.report(peer, BAD_MESSAGE_PENALTY, `consensus message: ${(e as Error).message}`);
      this.deps.metrics?.onRejected?.('malformed');
      return;
    }
    this.enqueue({ kind: 'message', peer, msg });
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
      this.step(msg.kind === 'proposal' ? { kind: 'proposal', proposal: msg.proposal, block: msg.block, valid: this.isValid(msg) } : { kind: 'vote', vote: msg.vote });
    } finally {
      this.currentPeer = undefined;
    }
  }

  /**
   * The application's verdict on a proposed block: it decodes, hashes to the proposal's hash, and
   * extends our tip. It must not depend on the round or on who proposes it: a block locked in one
   * round is re-proposed by another validator later, with its original header.
   */
  private isValid(msg: Extract<ConsensusMessage, { kind: 'proposal' }>): boolean {
    try {
      const block = decodeBlock(msg.block, this.opts.tendermint.blockBytesMax + 1024);
      if (!bytesEqual(headerHash(block.header), msg.proposal.blockHash)) return false;
      this.deps.chain.validateProposal(block, { timeMax: this.deps.clock.now() + this.opts.clockDriftMsMax });
      return true;
    } catch (e) {
      this.deps.log.warn({ height: msg.proposal.height, round: msg.proposal.round, reason: (e as Error).message }, 'consensus: invalid proposed block');
      return false;
    }
  }

  private startHeight(): void {
    const { chain } = this.deps;
    const height = chain.lastHeight() + 1;
    if (this.machine.state.step !== 'idle' && this.machine.state.height >= height) return;
    this.step({ kind: 'newHeight', height, validators: chain.validatorsFor(height) });
    for (const msg of this.future.take(height)) this.run({ kind: 'message', peer: '', msg });
  }

  private step(input: TendermintInput): void {
    this.wal.append(input);
    this.execute(this.machine.handle(input), false);
  }

  private execute(effects: readonly TendermintEffect[], replaying: boolean): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'broadcast':
          this.deps.p2p.broadcast(e.message.kind === 'vote' ? CH.vote : CH.proposal, encodeMessage(this.deps.chain.chainId, e.message));
          break;
        case 'scheduleTimeout': {
          const t = this.deps.clock.setTimeout(() => {
            this.timers.delete(t);
            this.enqueue({ kind: 'input', input: { kind: 'timeout', height: e.height, round: e.round, step: e.step } });
          }, e.ms);
          this.timers.add(t);
          break;
        }
        case 'getValue':
          this.proposeWhenReady(e.height, e.round, this.deps.clock.now());
          break;
        case 'decide':
          this.commit(e);
          break;
        case 'evidence':
          this.deps.log.warn({ validator: toHex(e.evidence.voteA.validator).slice(0, 16), height: e.evidence.voteA.height, round: e.evidence.voteA.round }, 'consensus: duplicate vote');
          this.deps.metrics?.onEvidence?.();
          if (!replaying) this.deps.onEvidence?.(e.evidence);
          break;
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

  /** Proposes once the mempool has transactions, or an empty block after emptyBlockWaitMs. */
  private proposeWhenReady(height: number, round: number, since: number): void {
    const { chain, clock } = this.deps;
    const s = this.machine.state;
    if (!this.running || s.height !== height || s.round !== round || !s.awaitingValue) return;
    const now = clock.now();
    if (!chain.hasPendingTxs() && now - since < this.opts.emptyBlockWaitMs) {
      const t = clock.setTimeout(() => {
        this.timers.delete(t);
        this.proposeWhenReady(height, round, since);
      }, 10);
      this.timers.add(t);
      return;
    }
    const block: Block = chain.proposeBlock(height, Math.max(now, chain.lastBlockTime() + 1), this.deps.keys.signing.publicKey);
    this.enqueue({ kind: 'input', input: { kind: 'value', height, round, block: encodeBlock(block), blockHash: headerHash(block.header) } });
  }

  private commit(e: Extract<TendermintEffect, { kind: 'decide' }>): void {
    const { chain } = this.deps;
    if (chain.lastHeight() < e.height) {
      const block = decodeBlock(e.block, this.opts.tendermint.blockBytesMax + 1024);
      if (block.header.height !== e.height) throw new SalusError('CORRUPT_DATA', `decided block claims height ${block.header.height}, decided at ${e.height}`);
      chain.commitBlock(block, e.commit);
      this.deps.metrics?.onCommit?.(e.height, e.round, block.txs.length);
    }
    const t = this.deps.clock.setTimeout(() => {
      this.timers.delete(t);
      this.enqueue({ kind: 'startHeight' });
    }, this.opts.commitDelayMs);
    this.timers.add(t);
  }

  /** With no progress since the last tick, the messages peers may have missed are sent again. */
  private gossipTick(): void {
    if (!this.running) return;
    const st = this.machine.status();
    const progress = `${st.height}/${st.round}/${st.step}/${st.prevotes.count}/${st.precommits.count}`;
    if (progress === this.lastProgress) this.sendGossip();
    this.lastProgress = progress;
    this.gossipTimer = this.deps.clock.setTimeout(() => this.gossipTick(), this.opts.gossipIntervalMs);
  }

  private sendGossip(peer?: string): void {
    const chainId = this.deps.chain.chainId;
    for (const m of this.machine.gossip()) {
      const ch = m.kind === 'vote' ? CH.vote : CH.proposal;
      const bytes = encodeMessage(chainId, m);
      if (peer) this.deps.p2p.send(peer, ch, bytes);
      else this.deps.p2p.broadcast(ch, bytes);
    }
  }
}
