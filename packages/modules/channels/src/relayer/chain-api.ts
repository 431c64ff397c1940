import { SalusError, fromHex, type Canonical } from '@salus/core';
import type { SalusClient, StateResponse, Wallet } from '@salus/client';
import type { ChannelEnd, ClientState, SentPacket, WrittenAck } from '../channel/state.js';

/**
 * One chain as a relayer (or a user) sees it over its node's API: its channels and light clients,
 * pending packets, written acknowledgements, proofs at a height, and transactions signed by a key
 * and waited for. Nothing read here is trusted by the chains: whatever the relayer carries is
 * verified on chain.
 */
export interface ChannelsView {
  readonly chainId: string;
  readonly height: number;
  readonly channels: readonly ChannelEnd[];
  readonly clients: readonly ClientState[];
}

export interface SubmittedTx {
  readonly type: string;
  readonly payload: Canonical;
}

export interface TxOutcome {
  readonly type: string;
  readonly code: string;
  readonly log: string;
}

export class ChainApi {
  constructor(
    readonly client: SalusClient,
    readonly wallet: Wallet,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
  ) {}

  view(): Promise<ChannelsView> {
    return this.client.request('GET', '/v1/channels');
  }

  async pending(channel: string): Promise<SentPacket[]> {
    return (await this.client.request<{ packets: SentPacket[] }>('GET', `/v1/channels/${channel}/packets`)).packets;
  }

  async acks(channel: string, after: number): Promise<WrittenAck[]> {
    return (await this.client.request<{ acks: WrittenAck[] }>('GET', `/v1/channels/${channel}/acks?after=${after}`)).acks;
  }

  /** A state value of this chain with its proof against header `height` (default: the latest provable). */
  prove(key: string, height?: number): Promise<StateResponse> {
    return this.client.request('GET', `/v1/channels/proof?key=${encodeURIComponent(key)}${height === undefined ? '' : `&height=${height}`}`);
  }

  /** Whether this chain received a packet, and its acknowledgement, in its latest committed state (a relayer's hint; proofs come separately). */
  receipt(channel: string, sequence: number): Promise<{ received: boolean; ack: WrittenAck | null }> {
    return this.client.request('GET', `/v1/channels/${channel}/receipts/${sequence}`);
  }

  /**
   * Signs the transactions with consecutive nonces, submits them in one batch (admitted in order,
   * so an update precedes the packets proven against it) and waits until the last has committed.
   */
  async submit(txs: readonly SubmittedTx[], timeoutMs = 30_000): Promise<TxOutcome[]> {
    if (txs.length === 0) return [];
    const { chainId } = await this.client.status();
    const first = await this.client.nextNonce(this.wallet.publicKeyHex);
    const built = txs.map((t, i) => this.wallet.buildTx({ chainId, nonce: first + i, module: 'channels', type: t.type, payload: t.payload }));
    const admitted = await this.client.submitBatch(built.map((b) => b.bytes));
    const out: TxOutcome[] = [];
    for (const [i, a] of admitted.entries()) {
      if (a.status === 'rejected') {
        out.push({ type: txs[i]!.type, code: a.error.code, log: a.error.message });
        // the nonces after a refused one are gaps: stop here, the next round signs them again
        return out;
      }
    }
    for (const [i, b] of built.entries()) {
      const end = this.clock.now() + timeoutMs;
      for (;;) {
        const r = await this.client.getTx(b.hash).catch((e: unknown) => (e instanceof SalusError && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e)));
        if (r && r.status === 'committed') {
          out.push({ type: txs[i]!.type, code: r.result.code, log: r.result.log });
          break;
        }
        if (this.clock.now() > end) throw new SalusError('TIMEOUT', `transaction ${b.hash} did not commit within ${timeoutMs} ms`);
        await this.clock.sleep(100);
      }
    }
    return out;
  }
}

/** A proof answer as the channels module's transactions carry it. */
export function proofPayload(r: StateResponse, height: number): Canonical {
  return {
    height,
    siblings: r.proof.siblings.map((s) => fromHex(s, 32)),
    leaf: r.proof.leaf ? { path: fromHex(r.proof.leaf.path, 32), valueHash: fromHex(r.proof.leaf.valueHash, 32) } : null,
  };
}

/** The client update a proof answer's header, commit and validators make. */
export function updatePayload(r: StateResponse): Canonical {
  return { header: fromHex(r.header.raw), commit: fromHex(r.commit.raw), validators: r.validators.map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power })) };
}
