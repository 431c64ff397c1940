import { SalusError, decode } from '@salus/core';
import { Prng } from '@salus/consensus';
import { Overlay } from '@salus/module';
import type { CounterpartyVerifier } from '../channel/handlers.js';
import { packetId, type Packet } from '../channel/packet.js';
import { ackDataKey, consensusKey, getClient, packetKey, receiptKey, type SentPacket, type WrittenAck } from '../channel/state.js';
import { itemKey, type ItemRecord } from '../custody/app.js';
import type { MultiChainOptions, MultiChainResult } from './options.js';
import { consensusIntervals } from './consensus.js';
import { SIM_USER, SimChain, sameValue, simChainId, simChannel, type SimEvent, type SimTx } from './chain.js';

/**
 * The multi-chain simulation: N independent chains (channels in Fabric's word), each with its own
 * validators and block times from the seeded consensus simulator, a per-validator cost model, users
 * who keep every chain's blocks full, a fraction of whose transactions send a custody item to
 * another chain, and a relayer that carries packets, acknowledgements and timeouts between them
 * (with seeded faults: skipped rounds, duplicates, forged packets, outages that make packets time
 * out). The channels module's real handlers run on every chain. It reports the committed throughput
 * and checks the protocol's promises: every sent packet is received once or refunded, never both,
 * and no item is held on two chains at once.
 */
interface Tracked {
  readonly src: number;
  readonly dst: number;
  readonly sent: SentPacket;
  /** a relayer transaction for it waits in a mempool */
  queued: boolean;
}

const channelTarget = (channel: string) => Number(channel.slice(3));

export function runMultiChain(o: MultiChainOptions): MultiChainResult {
  const prng = new Prng(o.seed);
  // how many chains hold each item, kept from the records each block writes (checked after every commit)
  const holding = new Map<string, boolean>();
  const holders = new Map<string, number>();
  const chains: SimChain[] = [];
  const indexOf = new Map<string, number>();
  const verify: CounterpartyVerifier = (kv, chainId, key, value, proof) => {
    if (!kv.has(consensusKey(chainId, proof.height))) throw new SalusError('CLIENT_HEIGHT_UNKNOWN', `no header ${proof.height} of ${chainId}`);
    const src = chains[indexOf.get(chainId)!]!;
    if (!sameValue(src.store.valueAt(key, proof.height - 1), value)) throw new SalusError('BAD_PROOF', `${key} at ${proof.height} of ${chainId}`);
  };
  const intervals = Array.from({ length: o.chains }, (_, i) => consensusIntervals(o.validatorsPerChain, o.seed * 1000 + i, o.consensusHeights, o.ed25519));
  const held: string[][] = [];
  for (let i = 0; i < o.chains; i++) {
    const c = new SimChain(i, simChainId(i), intervals[i]!, o.costs, verify);
    indexOf.set(c.chainId, i);
    const items = Array.from({ length: o.itemsPerChain }, (_, k) => `item-${i}-${k}`);
    c.genesis(o.chains, o.validatorsPerChain, items);
    chains.push(c);
    held.push([...items]);
  }
  const violations: string[] = [];
  for (let i = 0; i < o.chains; i++) {
    for (const item of held[i]!) {
      holding.set(`${i}/${item}`, true);
      holders.set(item, 1);
    }
  }
  const refused: Record<string, number> = {};
  const outstanding = new Map<string, Tracked>();
  const received = new Map<string, number>();
  const timedOut = new Set<string>();
  const sentIds = new Set<string>();
  let errorAcks = 0;
  let committedTxs = 0;
  let relayTxs = 0;
  let blocks = 0;
  let blockMsSum = 0;
  const key = (src: number, p: Packet) => `${src}:${packetId(p)}`;
  // expected refusals (duplicates, forgeries) are counted; anything else a relayer transaction meets is counted too
  const plan: { at: number; chain: number; txs: SimTx[]; tags: (string | null)[]; plain: number }[] = [];
  const lastUpdate = new Map<string, number>();
  const outages = new Map<string, number>();

  const build = (i: number, now: number) => {
    const c = chains[i]!;
    const txs: SimTx[] = [];
    const tags: (string | null)[] = [];
    let used = 0;
    while (c.mempool.length > 0 && used + c.cost(c.mempool[0]!) <= o.costs.blockBudgetMs) {
      const tx = c.mempool.shift()!;
      used += c.cost(tx);
      txs.push(tx);
      tags.push(tx.kind === 'recv' || tx.kind === 'ack' || tx.kind === 'timeout' ? 'relay' : tx.kind === 'update' ? 'update' : null);
    }
    let plain = 0;
    if (now < o.durationMs) {
      const users = Math.floor((o.costs.blockBudgetMs - used) / o.costs.txMs);
      const sends = o.chains > 1 ? Math.min(Math.floor(users * o.crossFraction), held[i]!.length) : 0;
      for (let s = 0; s < sends; s++) {
        let j = prng.int(o.chains - 1);
        if (j >= i) j += 1;
        txs.push({ kind: 'send', item: held[i]!.shift()!, channel: simChannel(j), timeoutHeight: chains[j]!.height + o.timeoutBlocks });
        tags.push('send');
      }
      plain = users - sends;
      used += users * o.costs.txMs;
    }
    plan[i] = { at: c.nextCommitAt(used), chain: i, txs, tags, plain };
  };

  const commit = (i: number) => {
    const p = plan[i]!;
    const c = chains[i]!;
    const prev = c.time;
    const { results, events, written } = c.commitBlock(p.txs, p.at);
    if (p.at <= o.durationMs) {
      blocks += 1;
      blockMsSum += p.at - prev;
    }
    results.forEach((r, k) => {
      const tx = p.txs[k]!;
      if (tx.kind === 'recv' || tx.kind === 'ack' || tx.kind === 'timeout') {
        const t = outstanding.get(key(tx.kind === 'recv' ? chainOfChannel(tx.msg.packet.destChannel) : i, tx.msg.packet));
        if (t) t.queued = false;
      }
      if (p.tags[k] === 'relay' || p.tags[k] === 'update') relayTxs += 1;
      if (r !== 'OK') refused[r] = (refused[r] ?? 0) + 1;
      if (p.tags[k] === 'send' && r !== 'OK') violations.push(`a user's send on chain ${i} failed: ${r}`);
    });
    if (p.at <= o.durationMs) committedTxs += p.plain + p.tags.filter((t) => t === 'send').length;
    for (const e of events) onEvent(i, e);
    checkItems(i, written);
  };

  const chainOfChannel = (channel: string) => channelTarget(channel);

  const onEvent = (i: number, e: SimEvent) => {
    const a = e.attributes;
    if (e.type === 'channels.sent') {
      const sent = decode(chains[i]!.store.getRaw(packetKey(a.channel as string, a.sequence as number))!) as SentPacket;
      const k = key(i, sent.packet);
      if (sentIds.has(k)) violations.push(`packet ${k} sent twice`);
      sentIds.add(k);
      outstanding.set(k, { src: i, dst: channelTarget(a.channel as string), sent, queued: false });
    } else if (e.type === 'channels.received') {
      // on the destination: the packet came from the chain its channel leads to
      const src = channelTarget(a.channel as string);
      const k = `${src}:${simChannel(i)}/${a.sequence as number}`;
      received.set(k, (received.get(k) ?? 0) + 1);
      if (received.get(k)! > 1) violations.push(`packet ${k} received ${received.get(k)} times`);
      if (a.ok === false) errorAcks += 1;
    } else if (e.type === 'channels.acknowledged' || e.type === 'channels.timed_out') {
      const k = `${i}:${a.channel as string}/${a.sequence as number}`;
      if (!outstanding.delete(k)) violations.push(`packet ${k} settled twice or never sent`);
      if (e.type === 'channels.timed_out') timedOut.add(k);
    } else if (e.type === 'custody.received' && a.holder === SIM_USER) held[i]!.push(a.item as string);
    else if (e.type === 'custody.refunded') held[i]!.push(a.item as string);
  };

  const checkItems = (chain: number, written: readonly string[]) => {
    for (const k of written) {
      if (!k.startsWith('channels/custody/item/')) continue;
      const item = k.slice('channels/custody/item/'.length);
      const was = holding.get(`${chain}/${item}`) ?? false;
      const now = decodeItem(chains[chain]!, item)?.status === 'held';
      holding.set(`${chain}/${item}`, now);
      const n = (holders.get(item) ?? 0) + (now ? 1 : 0) - (was ? 1 : 0);
      holders.set(item, n);
      if (n > 1) violations.push(`item ${item} held on ${n} chains at once (after block ${chains[chain]!.height} of chain ${chain})`);
    }
  };

  const relay = (now: number) => {
    const updates = new Map<string, number>();
    const push = (chain: number, tx: SimTx) => chains[chain]!.mempool.push(tx);
    const update = (on: number, of: number) => {
      const h = chains[of]!.height;
      const pair = `${on}<${of}`;
      const latest = Math.max(getClient(new Overlay(chains[on]!.store), simChainId(of))?.latestHeight ?? 0, lastUpdate.get(pair) ?? 0);
      if (!updates.has(pair) && latest < h) {
        push(on, { kind: 'update', counterparty: simChainId(of), height: h, sigs: Math.floor((o.validatorsPerChain * 2) / 3) + 1 });
        lastUpdate.set(pair, h);
      }
      updates.set(pair, h);
      return h;
    };
    for (const [k, t] of outstanding) {
      if (t.queued) continue;
      const pair = t.src < t.dst ? `${t.src}-${t.dst}` : `${t.dst}-${t.src}`;
      if ((outages.get(pair) ?? -1) > now) continue;
      if (prng.chance(o.faults.skip)) continue;
      const src = chains[t.src]!;
      const dst = chains[t.dst]!;
      const p = t.sent.packet;
      if (dst.store.getRaw(receiptKey(p.destChannel, p.sequence)) !== undefined) {
        const w = decode(dst.store.getRaw(ackDataKey(p.destChannel, p.sequence))!) as WrittenAck;
        if (w.height >= dst.height) continue;
        const h = update(t.src, t.dst);
        push(t.src, { kind: 'ack', msg: { packet: p, ack: w.ack, proof: { height: h, proof: { siblings: [] } } } });
        t.queued = true;
      } else if (dst.height >= p.timeoutHeight) {
        const h = update(t.src, t.dst);
        push(t.src, { kind: 'timeout', msg: { packet: p, proof: { height: h, proof: { siblings: [] } } } });
        t.queued = true;
      } else if (t.sent.height < src.height && dst.height + 1 < p.timeoutHeight) {
        const h = update(t.dst, t.src);
        const msg = { packet: p, proof: { height: h, proof: { siblings: [] } } };
        // a lying relayer's packet (another receiver) goes first: the destination must refuse it and take the true one
        if (prng.chance(o.faults.forge)) push(t.dst, { kind: 'recv', msg: { ...msg, packet: { ...p, data: { ...p.data, receiver: 'ee'.repeat(32) } } } });
        push(t.dst, { kind: 'recv', msg });
        if (prng.chance(o.faults.duplicate)) push(t.dst, { kind: 'recv', msg });
        t.queued = true;
      }
      void k;
    }
  };

  // outages: a few chain pairs go unrelayed for a while during the load, so some packets time out
  if (o.chains > 1) {
    for (let n = 0; n < Math.max(1, Math.floor(o.chains / 2)); n++) {
      const x = prng.int(o.chains);
      let y = prng.int(o.chains - 1);
      if (y >= x) y += 1;
      outages.set(x < y ? `${x}-${y}` : `${y}-${x}`, prng.range(o.durationMs / 4, o.durationMs / 2) + o.faults.outageMs);
    }
  }
  for (let i = 0; i < o.chains; i++) build(i, 0);
  let nextRelay = o.relayIntervalMs;
  const end = o.durationMs * 4 + 10_000;
  for (;;) {
    let i = 0;
    for (let j = 1; j < o.chains; j++) if (plan[j]!.at < plan[i]!.at) i = j;
    const at = plan[i]!.at;
    if (nextRelay <= at) {
      relay(nextRelay);
      nextRelay += o.relayIntervalMs;
      continue;
    }
    if (at > o.durationMs && outstanding.size === 0) break;
    if (at > end) {
      violations.push(`${outstanding.size} packets still in flight ${end} ms into the run`);
      break;
    }
    commit(i);
    build(i, at);
  }

  // every packet sent was received once or refunded, never both; every item is held on exactly one chain
  for (const k of sentIds) {
    const r = received.get(k) ?? 0;
    if (r > 0 && timedOut.has(k)) violations.push(`packet ${k} both received and refunded`);
    if (r === 0 && !timedOut.has(k)) violations.push(`packet ${k} neither received nor refunded`);
  }
  for (let i = 0; i < o.chains; i++) {
    for (let k = 0; k < o.itemsPerChain; k++) {
      const item = `item-${i}-${k}`;
      const records = chains.map((c) => decodeItem(c, item)).filter((r): r is ItemRecord => r !== undefined);
      const holders = records.filter((r) => r.status === 'held').length;
      if (holders !== 1 || records.some((r) => r.status === 'escrowed')) violations.push(`item ${item} ends held on ${holders} chains${records.some((r) => r.status === 'escrowed') ? ', still escrowed' : ''}`);
    }
  }
  const txsPerSecond = Math.round((committedTxs * 1000) / o.durationMs);
  return {
    chains: o.chains,
    validatorsPerChain: o.validatorsPerChain,
    seed: o.seed,
    durationMs: o.durationMs,
    committedTxs,
    txsPerSecond,
    perChainTxsPerSecond: Math.round(txsPerSecond / o.chains),
    meanBlockMs: Math.round(blockMsSum / Math.max(1, blocks)),
    transfers: { sent: sentIds.size, received: [...received.values()].filter((n) => n > 0).length, refunded: timedOut.size, errorAcks },
    relayTxs,
    refused,
    violations: violations.slice(0, 20),
  };
}

function decodeItem(c: SimChain, item: string): ItemRecord | undefined {
  const raw = c.store.getRaw(itemKey(item));
  return raw === undefined ? undefined : (decode(raw) as ItemRecord);
}
