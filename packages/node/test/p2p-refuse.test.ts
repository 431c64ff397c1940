import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '@salus/core';
import { Teardown, makePeer, nextEvent, rawPeer, until } from './fixtures/p2p-helpers.js';

const td = new Teardown();
afterEach(() => td.run());

describe('p2p refuses peers it cannot pin', () => {
  it('refuses an unknown key inbound, and is refused when dialling a node that does not know it', async () => {
    const a = makePeer(td);
    const c = makePeer(td); // knows A's address, but A does not know C
    const d = makePeer(td); // A knows D's address, but D does not know A
    await a.p2p.start();
    await c.p2p.start();
    await d.p2p.start();

    // C dials A: A refuses C's key.
    const refusedByA = nextEvent(a.p2p, 'refused', (r) => r.peerId === c.id, 'A refuses C');
    c.p2p.addPeer({ id: a.id, host: '127.0.0.1', port: a.port() });
    const [ra] = await refusedByA;
    expect(ra).toMatchObject({ direction: 'in', reason: 'unknown-key' });
    await until(() => c.p2p.stats().dialsFailed >= 1, 'C counts its dial as failed');
    expect(a.logs.find('peer refused', { reason: 'unknown-key', direction: 'in' })).toBeDefined();

    // A dials D: D refuses A's key, though A pinned D correctly.
    const refusedByD = nextEvent(d.p2p, 'refused', (r) => r.peerId === a.id, 'D refuses A');
    a.p2p.addPeer({ id: d.id, host: '127.0.0.1', port: d.port() });
    const [rd] = await refusedByD;
    expect(rd).toMatchObject({ direction: 'in', reason: 'unknown-key' });
    await until(() => a.p2p.stats().dialsFailed >= 1, 'A counts its dial as failed');
    expect(a.p2p.peers().find((p) => p.id === d.id)?.status).not.toBe('connected');

    for (const p of [a, c, d]) {
      expect(p.p2p.connectedPeers()).toEqual([]);
      expect(p.p2p.stats().linksEstablished).toBe(0);
    }
  });

  it('refuses a peer whose certificate holds a key other than the one dialled', async () => {
    const a = makePeer(td);
    const b = generateIdentityKeys(); // the key A expects
    const c = makePeer(td); // what actually answers at the address
    c.p2p.setAllowedKeys([a.id]); // C would accept A: the refusal is A's pin check
    await a.p2p.start();
    await c.p2p.start();
    const refused = nextEvent(a.p2p, 'refused', () => true, 'A refuses the impostor');
    a.p2p.addPeer({ id: Buffer.from(b.signing.publicKey).toString('hex'), host: '127.0.0.1', port: c.port() });
    const [r] = await refused;
    expect(r).toMatchObject({ direction: 'out', reason: 'wrong-key' });
    expect(a.logs.find('peer refused', { reason: 'wrong-key' })?.detail).toMatch(/certificate holds/);
    expect(a.p2p.stats().refusedWrongKey).toBeGreaterThanOrEqual(1);
    await until(() => c.p2p.stats().linksPending === 0, 'C drops the half-open link');
    expect(c.p2p.connectedPeers()).toEqual([]);
    expect(a.p2p.connectedPeers()).toEqual([]);
  });

  it('refuses a client without a certificate, and a peer of another network', async () => {
    const a = makePeer(td);
    const k = generateIdentityKeys();
    const kid = Buffer.from(k.signing.publicKey).toString('hex');
    a.p2p.setAllowedKeys([kid]);
    await a.p2p.start();

    const noCert = nextEvent(a.p2p, 'refused', (r) => r.reason === 'no-certificate', 'no-certificate refusal');
    const anon = await rawPeer(td, { keys: k, port: a.port(), withCertificate: false, hello: false });
    await noCert;
    await anon.closed;

    const other = nextEvent(a.p2p, 'refused', (r) => r.reason === 'network-mismatch', 'network refusal');
    const stranger = await rawPeer(td, { keys: k, port: a.port(), networkId: 'another-chain' });
    await other;
    await stranger.closed;
    expect(a.p2p.connectedPeers()).toEqual([]);
    expect(a.p2p.stats().refusedOther).toBe(2);
  });
});
