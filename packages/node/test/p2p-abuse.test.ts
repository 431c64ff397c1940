import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentityKeys, toHex, type IdentityKeys } from '@salus/core';
import { encodeFrame, frameHeader, type P2POptionsInput } from '../src/p2p/index.js';
import { Teardown, link, makePeer, nextEvent, rawPeer, turn, until, type TestPeer } from './fixtures/p2p-helpers.js';

const td = new Teardown();
afterEach(() => td.run());

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A node under attack, an honest peer linked to it, and the key of the attacker (allowed: it is a known peer gone bad). */
async function setup(opts: P2POptionsInput = {}): Promise<{ a: TestPeer; b: TestPeer; m: IdentityKeys; mid: string }> {
  const m = generateIdentityKeys();
  const mid = toHex(m.signing.publicKey);
  const b = makePeer(td, { opts });
  const a = makePeer(td, { opts, allowed: [b.id, mid] });
  b.p2p.setAllowedKeys([a.id]);
  await a.p2p.start();
  await b.p2p.start();
  await link(a, b);
  return { a, b, m, mid };
}

/** The honest peer still gets through after the attack. */
async function stillServes(a: TestPeer, b: TestPeer): Promise<void> {
  const got = nextEvent(b.p2p, 'message', (from, ch) => from === a.id && ch === 1, 'honest peer still served');
  expect(a.p2p.send(b.id, 1, bytes('still here'))).toBe(true);
  await got;
  expect(a.p2p.connectedPeers()).toContain(b.id);
}

/** Sends `bad` once the attacker is connected, and checks it is disconnected, banned and refused on return. */
async function expectBanned(a: TestPeer, m: IdentityKeys, mid: string, bad: (p: Awaited<ReturnType<typeof rawPeer>>) => void, violation: string): Promise<void> {
  const p = await rawPeer(td, { keys: m, port: a.port() });
  await p.helloReceived();
  await until(() => a.p2p.connectedPeers().includes(mid), 'attacker connected');
  const banned = nextEvent(a.p2p, 'banned', (id) => id === mid, 'ban');
  const gone = nextEvent(a.p2p, 'disconnected', (id) => id === mid, 'disconnect');
  bad(p);
  const [[, reason], [, why]] = await Promise.all([banned, gone]);
  expect(reason).toMatch(new RegExp(`^${violation}`));
  expect(why).toMatch(/banned|frame/);
  await p.closed;
  expect(a.logs.find('peer banned', { peer: mid.slice(0, 16) })).toBeDefined();
  expect(a.p2p.peers().find((x) => x.id === mid)).toMatchObject({ status: 'banned' });
  // Coming back during the ban is refused after the handshake, before any frame is read.
  const refused = nextEvent(a.p2p, 'refused', (r) => r.peerId === mid && r.reason === 'banned', 'refused while banned');
  const again = await rawPeer(td, { keys: m, port: a.port() });
  await refused;
  await again.closed;
  expect(a.p2p.stats().refusedBanned).toBeGreaterThanOrEqual(1);
}

describe('p2p peers that misbehave are scored, disconnected and banned', () => {
  it('a malformed frame', async () => {
    const { a, b, m, mid } = await setup();
    await expectBanned(a, m, mid, (p) => p.socket.write(Buffer.concat([frameHeader(3), Buffer.from([0xff, 0xff, 0xff])])), 'malformed');
    expect(a.p2p.stats().violationsMalformed).toBe(1);
    expect(a.logs.find('peer misbehaved', { violation: 'malformed' })).toBeDefined();
    await stillServes(a, b);
  });

  it('an oversize frame, refused from its header', async () => {
    const { a, b, m, mid } = await setup({ frameBytesMax: 64 * 1024 });
    await expectBanned(a, m, mid, (p) => p.socket.write(frameHeader(64 * 1024 + 1)), 'oversize');
    expect(a.p2p.stats().violationsOversize).toBe(1);
    await stillServes(a, b);
  });

  it('a flood beyond the per-peer rate limit', async () => {
    const { a, b, m, mid } = await setup({ recvMessagesPerSec: 100, recvBurstSec: 1 });
    let fromM = 0;
    a.p2p.onMessage((from) => void (from === mid && fromM++));
    const frame = encodeFrame(3, bytes('spam'));
    await expectBanned(a, m, mid, (p) => p.socket.write(Buffer.concat(Array.from({ length: 2_000 }, () => frame))), 'flood');
    expect(fromM).toBeGreaterThan(50);
    expect(fromM).toBeLessThanOrEqual(110); // the burst, and no more
    expect(a.p2p.stats().violationsFlood).toBeGreaterThanOrEqual(20);
    await stillServes(a, b);
  });

  it('an unknown channel costs points but not the link', async () => {
    const { a, b, m, mid } = await setup();
    const p = await rawPeer(td, { keys: m, port: a.port() });
    await p.helloReceived();
    const got = nextEvent(a.p2p, 'message', (from) => from === mid, 'message after the unknown channel');
    p.send(99, bytes('from the future'));
    p.send(2, bytes('known'));
    const [, ch] = await got;
    expect(ch).toBe(2);
    expect(a.p2p.stats().violationsUnknownChannel).toBe(1);
    expect(a.p2p.peers().find((x) => x.id === mid)).toMatchObject({ status: 'connected', score: -10 });
    await stillServes(a, b);
  });

  it('a slow reader does not grow the sender past its queue limits, and is dropped when it stalls', async () => {
    const limits = { sendQueueMessagesMax: 500, sendQueueBytesMax: 256 * 1024, frameBytesMax: 64 * 1024, writeStallMsMax: 2_000 };
    const { a, b, m, mid } = await setup(limits);
    const p = await rawPeer(td, { keys: m, port: a.port() });
    await p.helloReceived();
    await until(() => a.p2p.connectedPeers().includes(mid), 'reader connected');
    p.socket.pause(); // stops reading: kernel buffers fill, then the socket stops draining
    const gone = nextEvent(a.p2p, 'disconnected', (id) => id === mid, 'stalled reader dropped', 20_000);
    const payload = new Uint8Array(1024);
    const hwm = 64 * 1024; // generous bound on what the socket holds beyond the queue: its high-water mark and a frame
    let sent = 0;
    let maxQueued = 0;
    let maxBuffered = 0;
    const check = () => {
      const peer = a.p2p.peers().find((x) => x.id === mid);
      if (!peer || peer.status !== 'connected') return false;
      maxQueued = Math.max(maxQueued, peer.sendQueueBytes);
      maxBuffered = Math.max(maxBuffered, peer.socketBufferedBytes);
      expect(peer.sendQueueBytes).toBeLessThanOrEqual(limits.sendQueueBytesMax);
      expect(peer.sendQueueMessages).toBeLessThanOrEqual(limits.sendQueueMessagesMax);
      expect(peer.socketBufferedBytes).toBeLessThanOrEqual(limits.frameBytesMax + hwm);
      return true;
    };
    // Feed it in batches, letting the link write between them, until the queue is full and dropping.
    while (a.p2p.stats().messagesDroppedQueueFull < 2_000 && sent < 200_000 && check()) {
      for (let i = 0; i < 200; i++) a.p2p.send(mid, 3, payload);
      sent += 200;
      await turn();
    }
    expect(a.p2p.stats().messagesDroppedQueueFull).toBeGreaterThanOrEqual(2_000);
    expect(maxQueued).toBeGreaterThan(limits.sendQueueBytesMax / 2);
    expect(maxBuffered).toBeGreaterThan(0); // the socket pushed back (write() returned false)
    expect(a.p2p.stats().bytesSent).toBeLessThan(sent * payload.length); // the rest was held back or dropped, not buffered
    expect(a.p2p.stats().channels.txs!.dropped).toBe(a.p2p.stats().messagesDroppedQueueFull);
    // A full queue of low-priority messages still takes a high-priority one, at their expense.
    expect(a.p2p.send(mid, 1, bytes('vote'))).toBe(true);
    check();
    // Meanwhile the honest peer is served.
    await stillServes(a, b);
    const [, reason] = await gone;
    expect(reason).toMatch(/stopped reading/);
    expect(a.p2p.stats()).toMatchObject({ sendQueueBytes: 0, peersConnected: 1 });
    expect(a.p2p.peers().find((x) => x.id === mid)?.dropped).toBeGreaterThanOrEqual(2_000);
  });
});
