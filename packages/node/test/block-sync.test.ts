import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Wallet } from '@salus/client';
import { decode, decodeTx, encode, encodeBlock, encodeCommit, encodeTx, toHex } from '@salus/core';
import type { Clock } from '@salus/consensus';
import { BlockSync, type SyncP2P } from '../src/consensus/sync.js';
import { TxSignatureChecker } from '../src/consensus/sync-verify.js';
import { CH } from '../src/consensus/channels.js';
import { defaultBftOptions, type BftOptions } from '../src/consensus/options.js';
import type { MessageHandler, PeerConnectedHandler, PeerDisconnectedHandler } from '../src/p2p/index.js';
import { Ledger, createLedger, ed } from './ledger-harness.js';

/**
 * BlockSync over an in-memory network (no sockets): real ledgers serve and commit real blocks;
 * the network delivers each message in a later event-loop turn; time is a clock the test moves.
 */
class ManualClock implements Clock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const [id, x] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (x.at > this.t) continue;
      this.timers.delete(id);
      x.fn();
    }
  }
}

/** A peer that is not a BlockSync: answers requests with `answer` (or not at all). */
type Responder = (from: number, count: number) => Uint8Array | undefined;

class Net {
  private readonly handlers = new Map<string, { msg: MessageHandler[]; up: PeerConnectedHandler[]; down: PeerDisconnectedHandler[] }>();
  readonly responders = new Map<string, Responder>();
  readonly reports: { by: string; peer: string; reason: string }[] = [];
  /** requests sent, by sender → receiver */
  readonly asked: { by: string; to: string; from: number; count: number }[] = [];

  p2p(id: string): SyncP2P {
    const h = { msg: [] as MessageHandler[], up: [] as PeerConnectedHandler[], down: [] as PeerDisconnectedHandler[] };
    this.handlers.set(id, h);
    const add = <T>(list: T[], x: T) => (list.push(x), () => void list.splice(list.indexOf(x), 1));
    return {
      onMessage: (fn) => add(h.msg, fn),
      onPeerConnected: (fn) => add(h.up, fn),
      onPeerDisconnected: (fn) => add(h.down, fn),
      send: (peer, ch, bytes) => this.deliver(id, peer, ch, bytes),
      broadcast: (ch, bytes) => {
        for (const peer of this.ids()) if (peer !== id) this.deliver(id, peer, ch, bytes);
        return this.ids().length - 1;
      },
      report: (peer, _points, reason) => void this.reports.push({ by: id, peer, reason }),
    };
  }

  private ids(): string[] {
    return [...new Set([...this.handlers.keys(), ...this.responders.keys()])];
  }

  private deliver(from: string, to: string, ch: number, bytes: Uint8Array): boolean {
    const msg = decode(bytes) as { t: string; from?: number; count?: number };
    if (msg.t === 'get') this.asked.push({ by: from, to, from: msg.from!, count: msg.count! });
    setImmediate(() => {
      const r = this.responders.get(to);
      if (r && msg.t === 'get') {
        const answer = r(msg.from!, msg.count!);
        if (answer) this.deliver(to, from, CH.sync, answer);
      }
      for (const fn of this.handlers.get(to)?.msg ?? []) fn(from, ch, bytes);
    });
    return true;
  }

  connectAll(): void {
    for (const a of this.handlers.keys()) for (const b of this.ids()) if (a !== b) for (const fn of this.handlers.get(a)!.up) fn(b, { direction: 'outbound', remote: '' });
  }

  disconnect(a: string, b: string): void {
    for (const fn of this.handlers.get(a)?.down ?? []) fn(b, 'test');
  }
}

const OPTS: BftOptions = { ...defaultBftOptions, syncStatusIntervalMs: 1000, syncRequestTimeoutMs: 3000, syncBatchBlocksMax: 4, syncApplyBudgetMs: 0 };
const silent = pino({ level: 'silent' });
const started: BlockSync[] = [];
afterEach(() => {
  for (const s of started.splice(0)) s.stop();
});

/**
 * A chain of `blocks` blocks of a few register_patient transactions each (block 5's second one with
 * a forged signature: it fails in the block), and `copies` more ledgers holding the same blocks.
 */
function chains(blocks: number, copies: number): { source: Ledger; replicas: Ledger[]; fresh: () => Ledger } {
  const source = createLedger({ orgs: 4 });
  for (let b = 1; b <= blocks; b++) {
    const txs = Array.from({ length: 3 }, () => {
      const w = Wallet.create(ed);
      return w.buildTx({ chainId: source.genesis.chainId, nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(w.encryptionPublicKey) } }).bytes;
    });
    if (b === 5) {
      const tx = decodeTx(txs[1]!);
      txs[1] = encodeTx({ ...tx, signature: tx.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) });
    }
    const results = source.commitRaw(txs);
    if (b === 5) expect(results.map((r) => r.code)).toEqual(['OK', 'BAD_SIGNATURE', 'OK']);
  }
  const fresh = () => new Ledger(source.genesis, source.orgs);
  const replicas = Array.from({ length: copies }, () => {
    const l = fresh();
    for (let h = 1; h <= blocks; h++) {
      const b = source.blocks.requireBlock(h);
      l.chain.commitBlock({ header: b.header, txs: source.blocks.getTxs(h).map((t) => t.tx) }, b.commit);
    }
    return l;
  });
  return { source, replicas, fresh };
}

/** Signatures checked ahead, and how many of them were not valid. */
const checked = { txs: 0, invalid: 0 };

/** The thread's script is built into dist (`npx tsc -b`); the checker runs it from there. */
const WORKER = new URL('../dist/consensus/sig-worker.js', import.meta.url);
const checker = new TxSignatureChecker(WORKER);
afterAll(() => checker.close());

function startSync(net: Net, id: string, l: Ledger, clock: Clock, onAdvanced: () => void = () => undefined): BlockSync {
  const checkSignatures = async (block: Parameters<TxSignatureChecker['check']>[0]) => {
    const verdicts = await checker.check(block);
    checked.txs += verdicts?.length ?? 0;
    checked.invalid += verdicts?.filter((x) => !x).length ?? 0;
    return verdicts;
  };
  const s = new BlockSync(OPTS, { chain: l.chain, blocks: l.blocks, p2p: net.p2p(id), clock, log: silent, onAdvanced, bytesMax: defaultBftOptions.tendermint.blockBytesMax, checkSignatures });
  started.push(s);
  return s;
}

async function until(cond: () => boolean, what: string, clock?: ManualClock): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
    if (clock && i % 25 === 24) clock.advance(500);
  }
  expect.fail(`timed out waiting for ${what}`);
}

describe('BlockSync over an in-memory network', () => {
  it('fetches from every peer at once and commits in order, one block per event-loop turn, then tells the driver', async () => {
    expect(existsSync(fileURLToPath(WORKER)), 'run `npx tsc -b` first: the signature thread runs from packages/node/dist').toBe(true);
    const { source, replicas, fresh } = chains(40, 2);
    const net = new Net();
    const clock = new ManualClock();
    const peers = [source, ...replicas].map((l, i) => startSync(net, `peer${i}`, l, clock));
    const me = fresh();
    let advanced = 0;
    const sync = startSync(net, 'me', me, clock, () => advanced++);
    // a turn counter: each commit should land in its own event-loop turn
    let turn = 0;
    let spinning = true;
    const spin = () => {
      turn++;
      if (spinning) setImmediate(spin);
    };
    spin();
    const turns: number[] = [];
    const orig = me.chain.commitBlock.bind(me.chain);
    const passed: (readonly boolean[] | undefined)[] = [];
    me.chain.commitBlock = (b, c, verified) => {
      turns.push(turn);
      passed.push(verified);
      orig(b, c, verified);
    };
    checked.txs = checked.invalid = 0;
    for (const s of [...peers, sync]) s.start();
    net.connectAll();
    await until(() => me.height === 40, 'the fresh ledger to reach height 40');
    spinning = false;
    expect(me.chain.lastHeader()).toEqual(source.chain.lastHeader());
    expect(new Set(turns).size).toBe(turns.length);
    // every block's signatures were checked ahead and handed to the Chain; the forged one was found
    // invalid there and failed in the block as it did on the source (the results hashes agree)
    expect(checked).toEqual({ txs: 120, invalid: 1 });
    expect(passed.every((v) => v?.length === 3)).toBe(true);
    expect(me.blocks.requireBlock(40).resultsRoot).toEqual(source.blocks.requireBlock(40).resultsRoot);
    // ranges went to each of the three peers
    const servers = new Set(net.asked.filter((a) => a.by === 'me').map((a) => a.to));
    expect(servers).toEqual(new Set(['peer0', 'peer1', 'peer2']));
    // the driver was told once at the end at least, not after every block
    expect(advanced).toBeGreaterThanOrEqual(1);
    expect(advanced).toBeLessThan(40);
    expect(sync.behind).toBe(false);
    expect(net.reports).toEqual([]);
  });

  it('penalises a peer whose blocks do not verify and takes them from another', async () => {
    const { source, fresh } = chains(12, 0);
    const net = new Net();
    const clock = new ManualClock();
    // the liar answers with the right blocks but a commit signed by nobody
    net.responders.set('liar', (from, count) => {
      const items = [];
      for (let h = from; h < from + count && h <= source.height; h++) {
        const b = source.blocks.requireBlock(h);
        const commit = { ...b.commit, signatures: b.commit.signatures.map((s) => ({ ...s, signature: new Uint8Array(64) })) };
        items.push({ block: encodeBlock({ header: b.header, txs: source.blocks.getTxs(h).map((t) => t.tx) }), commit: encodeCommit(commit) });
      }
      return encode({ t: 'blocks', items });
    });
    const honest = startSync(net, 'honest', source, clock);
    const me = fresh();
    const sync = startSync(net, 'me', me, clock);
    honest.start();
    sync.start();
    // the liar claims the same height
    net.p2p('liar').broadcast(CH.sync, encode({ t: 'status', height: 12 }));
    net.connectAll();
    await until(() => me.height === 12, 'the ledger to sync past the liar', clock);
    expect(net.reports.some((r) => r.peer === 'liar' && /block sync/.test(r.reason))).toBe(true);
    expect(net.reports.some((r) => r.peer === 'honest')).toBe(false);
  });

  it('asks another peer when one never answers', async () => {
    const { source, fresh } = chains(10, 0);
    const net = new Net();
    const clock = new ManualClock();
    net.responders.set('mute', () => undefined);
    const honest = startSync(net, 'honest', source, clock);
    const me = fresh();
    const sync = startSync(net, 'me', me, clock);
    honest.start();
    sync.start();
    net.p2p('mute').broadcast(CH.sync, encode({ t: 'status', height: 10 }));
    net.connectAll();
    await until(() => me.height === 10, 'the ledger to sync around the mute peer', clock);
    expect(net.asked.some((a) => a.to === 'mute')).toBe(true);
    expect(net.reports).toEqual([]);
  });
});
