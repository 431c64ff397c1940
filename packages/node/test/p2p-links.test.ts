import { afterEach, describe, expect, it } from 'vitest';
import { Teardown, link, makePeer, nextEvent, until, type TestPeer } from './fixtures/p2p-helpers.js';

const td = new Teardown();
afterEach(() => td.run());

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function inbox(p: TestPeer): { from: string; ch: number; m: string }[] {
  const got: { from: string; ch: number; m: string }[] = [];
  p.p2p.onMessage((from, ch, m) => got.push({ from, ch, m: text(m) }));
  return got;
}

describe('p2p links over loopback TLS', () => {
  it('two nodes connect and exchange messages on channels, in order', async () => {
    const a = makePeer(td);
    const b = makePeer(td);
    a.p2p.setAllowedKeys([b.id]);
    b.p2p.setAllowedKeys([a.id]);
    await a.p2p.start();
    await b.p2p.start();
    const ina = inbox(a);
    const inb = inbox(b);
    await link(a, b);
    for (let i = 0; i < 100; i++) expect(a.p2p.send(b.id, 1 + (i % 3), bytes(`a${i}`))).toBe(true);
    b.p2p.send(a.id, 2, bytes('block part'));
    await until(() => inb.length === 100 && ina.length === 1, 'all messages arrived');
    for (const ch of [1, 2, 3]) {
      const seq = inb.filter((x) => x.ch === ch).map((x) => Number(x.m.slice(1)));
      expect(seq).toEqual([...seq].sort((x, y) => x - y)); // per-channel order kept
      expect(seq.every((i) => 1 + (i % 3) === ch)).toBe(true);
    }
    expect(ina).toEqual([{ from: b.id, ch: 2, m: 'block part' }]);
    expect(inb.every((x) => x.from === a.id)).toBe(true);
    expect(a.p2p.peers()).toMatchObject([{ id: b.id, status: 'connected', direction: 'in', score: 0 }]);
    expect(b.p2p.peers()).toMatchObject([{ id: a.id, status: 'connected', direction: 'out', address: `127.0.0.1:${a.port()}` }]);
    const s = a.p2p.stats();
    expect(s).toMatchObject({ messagesSent: 100, messagesReceived: 1, peersConnected: 1, refusedUnknownKey: 0 });
    expect(s.channels.consensus!.sent).toBe(34);
    // Sending to an unknown channel or an oversize message is the caller's bug: a typed error.
    expect(() => a.p2p.send(b.id, 9, bytes('x'))).toThrow(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(a.p2p.send('00'.repeat(32), 1, bytes('x'))).toBe(false);
    // No log line carries a secret key.
    for (const p of [a, b]) {
      expect(a.logs.text()).not.toContain(Buffer.from(p.keys.signing.secretKey).toString('hex'));
      expect(b.logs.text()).not.toContain(Buffer.from(p.keys.signing.secretKey).toString('hex'));
    }
  });

  it('four nodes form a full mesh with one link per pair; broadcast reaches the others', async () => {
    const nodes = [makePeer(td), makePeer(td), makePeer(td), makePeer(td)];
    const ids = nodes.map((n) => n.id);
    for (const n of nodes) n.p2p.setAllowedKeys(ids.filter((id) => id !== n.id));
    for (const n of nodes) await n.p2p.start();
    // Every node dials every other: each pair is dialled from both ends at once.
    for (const n of nodes) for (const m of nodes) if (m !== n) n.p2p.addPeer({ id: m.id, host: '127.0.0.1', port: m.port() });
    const settled = () => nodes.every((n) => n.p2p.stats().peersConnected === 3 && n.p2p.stats().linksPending === 0);
    await until(settled, 'every node has 3 peers and no pending links', 20_000);
    // Each pair agrees on which link survived: the one dialled by the lower id.
    for (const n of nodes) {
      for (const info of n.p2p.peers()) expect(info.direction).toBe(n.id < info.id ? 'out' : 'in');
    }
    const boxes = nodes.map(inbox);
    expect(nodes[0]!.p2p.broadcast(1, bytes('vote'), ids[3])).toBe(2);
    await until(() => boxes[1]!.length === 1 && boxes[2]!.length === 1, 'broadcast delivered');
    expect(boxes[3]).toEqual([]);
    nodes[3]!.p2p.broadcast(3, bytes('tx'));
    await until(() => [0, 1, 2].every((i) => boxes[i]!.some((x) => x.m === 'tx' && x.from === ids[3])), 'second broadcast delivered');
  });

  it('a simultaneous dial leaves exactly one link, the same on both sides', async () => {
    const a = makePeer(td);
    const b = makePeer(td);
    a.p2p.setAllowedKeys([b.id]);
    b.p2p.setAllowedKeys([a.id]);
    await a.p2p.start();
    await b.p2p.start();
    // Both dial in the same tick, before either dial can complete.
    a.p2p.addPeer({ id: b.id, host: '127.0.0.1', port: b.port() });
    b.p2p.addPeer({ id: a.id, host: '127.0.0.1', port: a.port() });
    await until(() => a.p2p.stats().inboundAccepted === 1 && b.p2p.stats().inboundAccepted === 1, 'both dials reached the other side');
    const one = (p: TestPeer) => p.p2p.stats().peersConnected === 1 && p.p2p.stats().linksPending === 0;
    await until(() => one(a) && one(b), 'one link on each side');
    expect(a.p2p.stats().dialsStarted + b.p2p.stats().dialsStarted).toBeGreaterThanOrEqual(2);
    expect(a.p2p.stats().duplicateLinksClosed + b.p2p.stats().duplicateLinksClosed).toBeGreaterThanOrEqual(1);
    const [lo, hi] = a.id < b.id ? [a, b] : [b, a];
    expect(lo.p2p.peers()[0]).toMatchObject({ status: 'connected', direction: 'out', remote: `127.0.0.1:${hi.port()}` });
    expect(hi.p2p.peers()[0]).toMatchObject({ status: 'connected', direction: 'in' });
    // The surviving link carries traffic both ways.
    const ina = inbox(a);
    const inb = inbox(b);
    a.p2p.send(b.id, 1, bytes('ping'));
    b.p2p.send(a.id, 1, bytes('pong'));
    await until(() => ina.length === 1 && inb.length === 1, 'messages over the surviving link');
    expect(one(a) && one(b)).toBe(true);
  });

  it('a peer that closes and restarts on the same port is redialled with backoff', async () => {
    const a = makePeer(td, { random: () => 0.5 });
    const b1 = makePeer(td, { allowed: [a.id] });
    await a.p2p.start();
    await b1.p2p.start();
    const port = b1.port();
    a.p2p.addPeer({ id: b1.id, host: '127.0.0.1', port });
    await nextEvent(a.p2p, 'connected', (id) => id === b1.id, 'first connection');
    const gone = nextEvent(a.p2p, 'disconnected', (id) => id === b1.id, 'disconnection');
    await b1.p2p.close();
    await gone;
    // While B is down, A keeps trying, each attempt later than the last (backoff 50 ms → 400 ms).
    await until(() => a.p2p.stats().dialsFailed >= 3, 'three failed redials');
    const info = a.p2p.peers()[0]!;
    expect(info.dialAttempts).toBeGreaterThanOrEqual(3);
    expect(['waiting', 'connecting']).toContain(info.status);
    const b2 = makePeer(td, { keys: b1.keys, opts: { port }, allowed: [a.id] });
    const back = nextEvent(a.p2p, 'connected', (id) => id === b1.id, 'reconnection');
    await b2.p2p.start();
    await back;
    expect(a.p2p.peers()[0]).toMatchObject({ status: 'connected', direction: 'out' });
    const got = inbox(b2);
    a.p2p.send(b1.id, 2, bytes('after restart'));
    await until(() => got.length === 1, 'message after reconnection');
  });

  it('start and close are clean: close during start, a second start, a port in use', async () => {
    const a = makePeer(td);
    const starting = a.p2p.start();
    await a.p2p.close();
    await expect(starting).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(a.p2p.start()).rejects.toMatchObject({ code: 'CONFLICT' });
    const b = makePeer(td);
    await b.p2p.start();
    const c = makePeer(td, { opts: { port: b.port() } });
    await expect(c.p2p.start()).rejects.toMatchObject({ code: 'CONFIG' });
    await b.p2p.close();
    await b.p2p.close(); // idempotent
  });
});
