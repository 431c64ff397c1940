import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode, generateIdentityKeys, isSalusError, toHex } from '@salus/core';
import {
  FrameDecoder,
  PeerScore,
  RateLimiter,
  SendQueue,
  backoffDelayMs,
  certificateKey,
  channelTable,
  createTlsIdentity,
  decodeFrameBody,
  defaultP2POptions,
  encodeFrame,
  mergeP2POptions,
  type QueuedFrame,
} from '../src/p2p/index.js';

const MAX = 1024;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSalusError(e) ? e.code : 'not a SalusError';
  }
  return undefined;
}

describe('p2p frames', () => {
  it('reassembles frames split anywhere and several in one chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (msgs, cut) => {
        const wire = Buffer.concat(msgs.map(([ch, m]) => encodeFrame(ch, m)));
        const d = new FrameDecoder(MAX);
        const out: [number, Uint8Array][] = [];
        for (let i = 0; i < wire.length; i += cut) {
          d.push(wire.subarray(i, i + cut));
          for (let b = d.next(); b; b = d.next()) {
            const f = decodeFrameBody(b, MAX);
            out.push([f.ch, f.m]);
          }
        }
        expect(out.map(([c, m]) => [c, toHex(m)])).toEqual(msgs.map(([c, m]) => [c, toHex(m)]));
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an oversize frame from its header alone, and an empty frame', () => {
    const d = new FrameDecoder(MAX);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(MAX + 1);
    d.push(h);
    expect(code(() => d.next())).toBe('OVERSIZE');
    const z = new FrameDecoder(MAX);
    z.push(Buffer.alloc(4));
    expect(code(() => z.next())).toBe('MALFORMED_ENCODING');
  });

  it('refuses bodies that are not exactly canonical {ch, m}', () => {
    const bad = [
      Buffer.from([0xff, 0x00]), // not CBOR
      encode({ ch: 1, m: new Uint8Array(1), x: 1 }), // extra key
      encode({ ch: 256, m: new Uint8Array(1) }), // channel out of range
      encode({ ch: 1, m: 'text' }), // message not bytes
      encode([1, new Uint8Array(1)]), // not a map
      Buffer.from([0xa2, 0x62, 0x63, 0x68, 0x18, 0x01, 0x61, 0x6d, 0x40]), // ch as a non-shortest integer
    ];
    for (const b of bad) expect(code(() => decodeFrameBody(b, MAX))).toBe('MALFORMED_ENCODING');
  });
});

describe('p2p send queue', () => {
  const frame = (ch: number, priority: number, n: number): QueuedFrame => ({ ch, priority, body: new Uint8Array(n) });

  it('never exceeds its limits, whatever is pushed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 300 }), fc.boolean()), { maxLength: 300 }), (ops) => {
        let drops = 0;
        const q = new SendQueue({ messagesMax: 20, bytesMax: 1000 }, () => (drops += 1));
        let pushed = 0;
        let shifted = 0;
        for (const [ch, n, take] of ops) {
          q.push(frame(ch, ch * 10, n));
          pushed += 1;
          if (take && q.shift()) shifted += 1;
          expect(q.messages).toBeLessThanOrEqual(20);
          expect(q.bytes).toBeLessThanOrEqual(1000);
        }
        expect(pushed).toBe(shifted + drops + q.messages);
      }),
    );
  });

  it('drops the oldest lower-priority messages first, then refuses new ones', () => {
    const dropped: number[] = [];
    const q = new SendQueue({ messagesMax: 3, bytesMax: 1 << 20 }, (ch) => dropped.push(ch));
    expect(q.push({ ch: 3, priority: 1, body: Uint8Array.of(1) })).toBe(true);
    expect(q.push({ ch: 3, priority: 1, body: Uint8Array.of(2) })).toBe(true);
    expect(q.push({ ch: 1, priority: 10, body: Uint8Array.of(3) })).toBe(true);
    expect(q.push({ ch: 1, priority: 10, body: Uint8Array.of(4) })).toBe(true); // evicts txs #1
    expect(dropped).toEqual([3]);
    expect(q.push({ ch: 3, priority: 1, body: Uint8Array.of(5) })).toBe(false); // nothing lower to evict
    expect(dropped).toEqual([3, 3]);
    const out: number[] = [];
    for (let f = q.shift(); f; f = q.shift()) out.push(f.body[0]!);
    expect(out.sort()).toEqual([2, 3, 4]);
  });

  it('shares the link between waiting channels in proportion to priority', () => {
    const q = new SendQueue({ messagesMax: 10_000, bytesMax: 1 << 24 }, () => undefined);
    for (let i = 0; i < 2000; i++) {
      q.push(frame(1, 10, 100));
      q.push(frame(3, 1, 100));
    }
    const sent = { 1: 0, 3: 0 } as Record<number, number>;
    for (let i = 0; i < 1100; i++) sent[q.shift()!.ch]! += 1;
    expect(sent[1]! / sent[3]!).toBeGreaterThan(7);
    expect(sent[1]! / sent[3]!).toBeLessThan(13);
    expect(sent[3]).toBeGreaterThan(0); // low priority is slowed, never starved
  });
});

describe('p2p rate limits, backoff and scores', () => {
  it('admits a burst, then only the sustained rate', () => {
    let t = 0;
    const r = new RateLimiter({ messagesPerSec: 10, bytesPerSec: 1000, burstSec: 1 }, () => t);
    let n = 0;
    while (r.admit(10)) n++;
    expect(n).toBe(10);
    t += 500;
    expect([r.admit(10), r.admit(10), r.admit(10), r.admit(10), r.admit(10), r.admit(10)].filter(Boolean)).toHaveLength(5);
    t += 10_000;
    expect(r.admit(1001)).toBe(false); // more bytes than the bucket ever holds
    expect(r.admit(1000)).toBe(true);
  });

  it('backs off exponentially with equal jitter, bounded', () => {
    const o = { backoffMsMin: 100, backoffMsMax: 5_000 };
    expect(backoffDelayMs(0, o, () => 0.5)).toBe(0);
    expect(backoffDelayMs(1, o, () => 0)).toBe(50);
    expect(backoffDelayMs(1, o, () => 0.999)).toBeLessThanOrEqual(100);
    expect(backoffDelayMs(4, o, () => 0)).toBe(400);
    for (let a = 0; a < 200; a++) expect(backoffDelayMs(a, o, Math.random)).toBeLessThanOrEqual(5_000);
    expect(backoffDelayMs(1e9, o, () => 0)).toBe(2_500);
  });

  it('bans at the threshold for banMs, recovers between offences', () => {
    let t = 0;
    const s = new PeerScore({ scoreRecoveryPerSec: 10, scoreBanThreshold: -100, banMs: 1_000 }, () => t);
    expect(s.penalize(60)).toBe(false);
    t += 3_000; // recovered 30
    expect(s.current).toBe(-30);
    expect(s.penalize(60)).toBe(false);
    expect(s.penalize(10)).toBe(true);
    expect(s.isBanned()).toBe(true);
    t += 1_001;
    expect(s.isBanned()).toBe(false);
    expect(s.current).toBe(0);
  });
});

describe('p2p TLS identity and options', () => {
  it('makes a self-signed certificate whose key is the node key', async () => {
    const keys = generateIdentityKeys();
    const id = await createTlsIdentity(keys.signing);
    const cert = new X509Certificate(id.certificatePem);
    expect(certificateKey(cert)).toBe(toHex(keys.signing.publicKey));
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed with the node key
    expect(JSON.stringify(id)).not.toContain('PRIVATE');
    expect(JSON.stringify(id)).not.toContain(toHex(keys.signing.secretKey));
  });

  it('refuses a key pair whose halves do not belong together', async () => {
    const a = generateIdentityKeys();
    const b = generateIdentityKeys();
    await expect(createTlsIdentity({ secretKey: a.signing.secretKey, publicKey: b.signing.publicKey })).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('checks options and channels, naming the field', () => {
    expect(mergeP2POptions({}).frameBytesMax).toBe(defaultP2POptions.frameBytesMax);
    expect(code(() => mergeP2POptions({ port: 70_000 }))).toBe('CONFIG');
    expect(code(() => mergeP2POptions({ peers: [{ id: 'zz', host: 'h', port: 1 }] }))).toBe('CONFIG');
    expect(code(() => mergeP2POptions({ idleTimeoutMs: 10, pingIntervalMs: 20 }))).toBe('CONFIG');
    expect(code(() => channelTable([{ id: 0, name: 'ctl', priority: 1 }], 4096))).toBe('CONFIG');
    expect(code(() => channelTable([{ id: 1, name: 'a', priority: 1 }, { id: 1, name: 'b', priority: 1 }], 4096))).toBe('CONFIG');
    expect(code(() => channelTable([{ id: 1, name: 'a', priority: 1, messageBytesMax: 5000 }], 4096))).toBe('CONFIG');
    expect(channelTable([{ id: 7, name: 'votes', priority: 3 }], 4096).get(7)).toMatchObject({ priority: 3, messageBytesMax: 4080 });
  });
});
