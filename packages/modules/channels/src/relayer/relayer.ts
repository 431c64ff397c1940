import type { Canonical } from '@salus/core';
import { ackKey, commitmentKey, receiptKey, type ChannelEnd, type SentPacket, type WrittenAck } from '../channel/state.js';
import { packetCanonical } from '../channel/packet.js';
import { proofPayload, updatePayload, type ChainApi, type SubmittedTx, type TxOutcome } from './chain-api.js';

/**
 * The relayer (IBC's, kept small): it watches two chains' APIs and carries, for every channel
 * between them, packets with proofs of their commitments (`recv_packet`, after a light-client
 * update to a header that holds them), acknowledgements with their proofs back
 * (`acknowledge_packet`), and proofs of non-receipt for packets past their timeout height
 * (`timeout_packet`). It is untrusted: it signs with a key of its own (any key; the types are open)
 * and every byte it carries is verified on chain, so a relayer that lies only wastes its fees.
 */
export interface RelayRound {
  readonly updates: number;
  readonly received: number;
  readonly acknowledged: number;
  readonly timedOut: number;
  /** transactions that failed on chain (another relayer was first, a packet timed out meanwhile, …) */
  readonly failed: readonly TxOutcome[];
}

export class Relayer {
  constructor(
    private readonly a: ChainApi,
    private readonly b: ChainApi,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** One pass both ways: a → b, then b → a. */
  async step(): Promise<RelayRound> {
    const x = await this.direction(this.a, this.b);
    const y = await this.direction(this.b, this.a);
    return {
      updates: x.updates + y.updates,
      received: x.received + y.received,
      acknowledged: x.acknowledged + y.acknowledged,
      timedOut: x.timedOut + y.timedOut,
      failed: [...x.failed, ...y.failed],
    };
  }

  /** Runs rounds until `signal` aborts, waiting `intervalMs` between them; a failed round is logged and retried. */
  async run(intervalMs: number, sleep: (ms: number) => Promise<void>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const r = await this.step();
        if (r.received + r.acknowledged + r.timedOut + r.failed.length > 0) this.log(`relayed: ${r.received} received, ${r.acknowledged} acknowledged, ${r.timedOut} timed out, ${r.updates} client updates${r.failed.length ? `, ${r.failed.length} failed (${r.failed.map((f) => `${f.type} ${f.code}`).join('; ')})` : ''}`);
      } catch (e) {
        this.log(`relay round failed: ${(e as Error).message}`);
      }
      await sleep(intervalMs);
    }
  }

  /** Packets sent on `src` to `dst`: received on dst or timed out back on src; dst's acknowledgements back to src. */
  private async direction(src: ChainApi, dst: ChainApi): Promise<RelayRound> {
    const [sv, dv] = await Promise.all([src.view(), dst.view()]);
    const ends = sv.channels.filter((c) => c.counterpartyChainId === dv.chainId);
    const toDst: { packet: SentPacket; end: ChannelEnd }[] = [];
    const toSrc: ({ kind: 'ack'; ack: WrittenAck } | { kind: 'timeout'; packet: SentPacket })[] = [];
    for (const end of ends) {
      for (const sent of await src.pending(end.id)) {
        const p = sent.packet;
        const r = await dst.receipt(p.destChannel, p.sequence);
        if (r.received) {
          if (r.ack && r.ack.height < dv.height) toSrc.push({ kind: 'ack', ack: r.ack });
        } else if (dv.height >= p.timeoutHeight) toSrc.push({ kind: 'timeout', packet: sent });
        else if (sent.height < sv.height && dv.height + 1 < p.timeoutHeight) toDst.push({ packet: sent, end });
      }
    }
    const failed: TxOutcome[] = [];
    let updates = 0;
    let received = 0;
    // packets to dst, proven against one header of src
    if (toDst.length > 0) {
      const first = toDst[0]!.packet.packet;
      const anchor = await src.prove(commitmentKey(first.sourceChannel, first.sequence));
      const height = anchor.version + 1;
      const txs: SubmittedTx[] = [];
      if ((dv.clients.find((c) => c.chainId === sv.chainId)?.latestHeight ?? 0) < height) txs.push({ type: 'update_client', payload: updatePayload(anchor) });
      for (const { packet } of toDst) {
        const p = packet.packet;
        const r = await src.prove(commitmentKey(p.sourceChannel, p.sequence), height);
        txs.push({ type: 'recv_packet', payload: { packet: packetCanonical(p), proof: proofPayload(r, height) } });
      }
      const out = await dst.submit(txs);
      updates += txs.length - toDst.length;
      failed.push(...out.filter((o) => o.code !== 'OK'));
      received = out.filter((o) => o.type === 'recv_packet' && o.code === 'OK').length;
    }
    // acknowledgements and timeouts to src, proven against one header of dst
    let acknowledged = 0;
    let timedOut = 0;
    if (toSrc.length > 0) {
      const firstKey = (e: (typeof toSrc)[number]) => (e.kind === 'ack' ? ackKey(e.ack.packet.destChannel, e.ack.packet.sequence) : receiptKey(e.packet.packet.destChannel, e.packet.packet.sequence));
      const anchor = await dst.prove(firstKey(toSrc[0]!));
      const height = anchor.version + 1;
      const txs: SubmittedTx[] = [];
      if ((sv.clients.find((c) => c.chainId === dv.chainId)?.latestHeight ?? 0) < height) txs.push({ type: 'update_client', payload: updatePayload(anchor) });
      for (const e of toSrc) {
        const r = await dst.prove(firstKey(e), height);
        if (e.kind === 'ack') txs.push({ type: 'acknowledge_packet', payload: { packet: packetCanonical(e.ack.packet), ack: e.ack.ack as Canonical, proof: proofPayload(r, height) } });
        else txs.push({ type: 'timeout_packet', payload: { packet: packetCanonical(e.packet.packet), proof: proofPayload(r, height) } });
      }
      const out = await src.submit(txs);
      updates += txs.length - toSrc.length;
      failed.push(...out.filter((o) => o.code !== 'OK'));
      acknowledged = out.filter((o) => o.type === 'acknowledge_packet' && o.code === 'OK').length;
      timedOut = out.filter((o) => o.type === 'timeout_packet' && o.code === 'OK').length;
    }
    return { updates, received, acknowledged, timedOut, failed };
  }
}
