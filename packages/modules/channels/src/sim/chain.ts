import { SalusError, bytesEqual, pureEd25519, type Canonical } from '@salus/core';
import { Overlay, type KV, type TxContext } from '@salus/module';
import { acknowledgePacket, recvPacket, timeoutPacket, type AckMsg, type CounterpartyVerifier, type RecvMsg } from '../channel/handlers.js';
import { channelKey, clientKey, consensusKey, getClient, type ChannelEnd, type ClientState } from '../channel/state.js';
import { itemKey, sendItem, type ItemRecord } from '../custody/app.js';
import { PORTS } from '../module/module.js';
import type { CostModel } from './cost.js';
import { VersionedStore } from './store.js';

/**
 * One chain of the multi-chain simulation: the channels module's real handlers (packets, custody)
 * over a versioned in-memory state, blocks executed as the module manager does (each transaction
 * on its own overlay, merged only when it succeeds), block times from the seeded consensus
 * simulator's commit intervals plus the block's execution time under the cost model.
 */
export type SimTx =
  | { readonly kind: 'update'; readonly counterparty: string; readonly height: number; readonly sigs: number }
  | { readonly kind: 'recv'; readonly msg: RecvMsg }
  | { readonly kind: 'ack'; readonly msg: AckMsg }
  | { readonly kind: 'timeout'; readonly msg: RecvMsg }
  | { readonly kind: 'send'; readonly item: string; readonly channel: string; readonly timeoutHeight: number };

export interface SimEvent {
  readonly type: string;
  readonly attributes: Record<string, Canonical>;
  readonly height: number;
}

/** The one key that holds items in the simulation, on every chain. */
export const SIM_USER = '11'.repeat(32);

export const simChainId = (i: number) => `sim-${i}`;
export const simChannel = (to: number) => `to-${to}`;

export class SimChain {
  readonly store = new VersionedStore();
  height = 0;
  /** virtual ms of the last commit */
  time = 0;
  /** relayer transactions waiting for a block, in arrival order */
  readonly mempool: SimTx[] = [];
  private interval = 0;

  constructor(
    readonly index: number,
    readonly chainId: string,
    private readonly consensusIntervals: readonly number[],
    private readonly costs: CostModel,
    private readonly verify: CounterpartyVerifier,
  ) {}

  /** Genesis: a client of and a custody channel to every other chain; `items` held by the user. */
  genesis(chains: number, validatorsPerChain: number, items: readonly string[]): void {
    const kv = new Overlay(this.store);
    const validators = Array.from({ length: validatorsPerChain }, (_, i) => ({ pubKey: (i + 1).toString(16).padStart(64, '0'), power: 1 }));
    for (let j = 0; j < chains; j++) {
      if (j === this.index) continue;
      kv.set(clientKey(simChainId(j)), { chainId: simChainId(j), validators, latestHeight: 0 } satisfies ClientState as unknown as Canonical);
      kv.set(channelKey(simChannel(j)), { id: simChannel(j), port: 'custody', counterpartyChainId: simChainId(j), counterpartyChannel: simChannel(this.index), nextSequence: 1 } satisfies ChannelEnd);
    }
    for (const item of items) kv.set(itemKey(item), { item, holder: SIM_USER, status: 'held', via: null, channel: null, sequence: null } satisfies ItemRecord as unknown as Canonical);
    this.store.commit(kv, 0);
  }

  /** When the next block commits: the consensus interval of this height plus the execution of what it holds. */
  nextCommitAt(execMs: number): number {
    this.interval = this.consensusIntervals[this.height % this.consensusIntervals.length]!;
    return this.time + this.interval + execMs;
  }

  cost(tx: SimTx | 'plain'): number {
    if (tx === 'plain' || tx.kind === 'send') return this.costs.txMs;
    if (tx.kind === 'update') return this.costs.txMs + tx.sigs * this.costs.commitSigMs;
    return this.costs.txMs + this.costs.proofMs;
  }

  /** Executes and commits one block of `txs` (plain transactions are counted, they touch no channel state). */
  commitBlock(txs: readonly SimTx[], at: number): { results: (string | 'OK')[]; events: SimEvent[]; written: string[] } {
    const height = this.height + 1;
    const block = new Overlay(this.store);
    const events: SimEvent[] = [];
    const results = txs.map((tx) => {
      const work = new Overlay(block);
      const pending: SimEvent[] = [];
      const ctx = this.context(work, height, at, (type, attributes) => pending.push({ type, attributes, height }));
      try {
        this.deliver(ctx, tx);
        work.mergeInto(block);
        events.push(...pending);
        return 'OK';
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
        return e.code;
      }
    });
    this.height = height;
    this.time = at;
    return { results, events, written: this.store.commit(block, height) };
  }

  private context(state: KV, height: number, time: number, emit: TxContext['emit']): TxContext {
    return { chainId: this.chainId, height, time, signer: new Uint8Array(32).fill(0x11), signerHex: SIM_USER, txHash: new Uint8Array(32), state, ed: pureEd25519, emit, reportGas: () => {} };
  }

  private deliver(ctx: TxContext, tx: SimTx): void {
    switch (tx.kind) {
      case 'update': {
        // the header's commit is modelled as verified (its cost is charged); the light client records the height
        const c = getClient(ctx.state, tx.counterparty);
        if (!c) throw new SalusError('CHANNEL_UNKNOWN', `no client of ${tx.counterparty}`);
        if (tx.height <= c.latestHeight) throw new SalusError('HEADER_NOT_NEWER', `client at ${c.latestHeight}`);
        ctx.state.set(clientKey(tx.counterparty), { ...c, latestHeight: tx.height } as unknown as Canonical);
        ctx.state.set(consensusKey(tx.counterparty, tx.height), { appHash: '00'.repeat(32), time: 0, validatorsHash: '00'.repeat(32) });
        return;
      }
      case 'recv':
        return void recvPacket(ctx, PORTS, tx.msg, this.verify);
      case 'ack':
        return acknowledgePacket(ctx, PORTS, tx.msg, this.verify);
      case 'timeout':
        return timeoutPacket(ctx, PORTS, tx.msg, this.verify);
      case 'send':
        return void sendItem(ctx, { item: tx.item, channel: tx.channel, receiver: SIM_USER, timeoutHeight: tx.timeoutHeight });
    }
  }
}

/** Whether two stored values are the same bytes (absent equals absent). */
export const sameValue = (a: Uint8Array | undefined, b: Uint8Array | undefined) => (a === undefined || b === undefined ? a === b : bytesEqual(a, b));
