import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { ackKey, commitmentKey, getItem, itemKey, packetCanonical, receiptKey, sentPacket, writtenAckOf, type Packet } from './exports.js';
import { ProvenChain, twoChains } from './proven-chain.js';

/**
 * The channel layer and the custody application through the real module manager on two chains,
 * with real headers, commits signed by the validator keys and sparse Merkle proofs: a transfer both
 * ways; and every refusal (forged commit, proof against the wrong height, replayed packet, timeout
 * after receipt, …) typed, with the state unchanged.
 */
const hex = (k: IdentityKeys) => toHex(k.signing.publicKey);

/** Relays the client update of `from` at its next header to `to`. */
function updateOn(to: ProvenChain, from: ProvenChain, relayer: IdentityKeys): number {
  const height = from.height + 1;
  expect(to.tx(relayer, 'update_client', from.update(height)).code).toBe('OK');
  return height;
}

function send(a: ProvenChain, item: string, receiver: IdentityKeys, timeoutHeight: number): Packet {
  const r = a.tx(a.admin, 'send_item', { item, channel: channelOf(a), receiver: hex(receiver), timeoutHeight });
  expect(r.code).toBe('OK');
  const seq = r.events.find((e) => e.type === 'channels.sent')!.attributes.sequence as number;
  return sentPacket(a.h.view(), channelOf(a), seq)!.packet;
}

const channelOf = (c: ProvenChain) => (c.chainId === 'chain-a' ? 'a-to-b' : 'b-to-a');

function recv(dst: ProvenChain, src: ProvenChain, p: Packet, relayer: IdentityKeys, height?: number): string {
  const h = height ?? updateOn(dst, src, relayer);
  return dst.tx(relayer, 'recv_packet', { packet: packetCanonical(p), proof: src.prove(commitmentKey(p.sourceChannel, p.sequence), h) }).code;
}

function ack(src: ProvenChain, dst: ProvenChain, p: Packet, relayer: IdentityKeys, height?: number): string {
  const h = height ?? updateOn(src, dst, relayer);
  const w = writtenAckOf(dst.h.view(), p.destChannel, p.sequence)!;
  return src.tx(relayer, 'acknowledge_packet', { packet: packetCanonical(p), ack: w.ack as Canonical, proof: dst.prove(ackKey(p.destChannel, p.sequence), h) }).code;
}

describe('custody over a channel', () => {
  it('moves an item A → B and back, escrowed while in flight, held on one chain at a time', () => {
    const { a, b, relayer } = twoChains();
    expect(a.tx(a.admin, 'register_item', { item: 'sgtin:0614141.107346.2018' }).code).toBe('OK');
    const p = send(a, 'sgtin:0614141.107346.2018', b.admin, 100);
    expect(getItem(a.h.view(), p.data.item as string)).toMatchObject({ status: 'escrowed', channel: 'a-to-b', sequence: 1 });
    // the holder cannot send it again while it is in flight
    expect(a.tx(a.admin, 'send_item', { item: 'sgtin:0614141.107346.2018', channel: 'a-to-b', receiver: hex(b.admin), timeoutHeight: 100 }).code).toBe('ITEM_IN_FLIGHT');

    expect(recv(b, a, p, relayer)).toBe('OK');
    expect(getItem(b.h.view(), 'sgtin:0614141.107346.2018')).toMatchObject({ holder: hex(b.admin), status: 'held', via: 'b-to-a' });
    expect(ack(a, b, p, relayer)).toBe('OK');
    expect(getItem(a.h.view(), 'sgtin:0614141.107346.2018')).toMatchObject({ status: 'away', holder: null, channel: 'a-to-b' });
    expect(a.h.view().get(commitmentKey('a-to-b', 1))).toBeUndefined();

    // and back: B's holder sends it home
    const back = (() => {
      const r = b.tx(b.admin, 'send_item', { item: 'sgtin:0614141.107346.2018', channel: 'b-to-a', receiver: hex(a.admin), timeoutHeight: a.height + 50 });
      expect(r.code).toBe('OK');
      return sentPacket(b.h.view(), 'b-to-a', 1)!.packet;
    })();
    expect(recv(a, b, back, relayer)).toBe('OK');
    expect(getItem(a.h.view(), 'sgtin:0614141.107346.2018')).toMatchObject({ holder: hex(a.admin), status: 'held', via: null, channel: null });
    expect(ack(b, a, back, relayer)).toBe('OK');
    expect(getItem(b.h.view(), 'sgtin:0614141.107346.2018')).toBeUndefined();
  });

  it('acknowledges with an error when the item is already on the destination, and refunds the sender', () => {
    const { a, b, relayer } = twoChains();
    expect(a.tx(a.admin, 'register_item', { item: 'pack-1' }).code).toBe('OK');
    expect(b.tx(b.admin, 'register_item', { item: 'pack-1' }).code).toBe('OK');
    const p = send(a, 'pack-1', b.admin, 100);
    const before = b.h.view().get(itemKey('pack-1'));
    expect(recv(b, a, p, relayer)).toBe('OK');
    expect(b.h.view().get(itemKey('pack-1'))).toEqual(before);
    expect(writtenAckOf(b.h.view(), 'b-to-a', 1)!.ack).toMatchObject({ error: expect.stringContaining('CONFLICT') });
    expect(ack(a, b, p, relayer)).toBe('OK');
    expect(getItem(a.h.view(), 'pack-1')).toMatchObject({ status: 'held', holder: hex(a.admin) });
  });
});

describe('refusals leave the state unchanged', () => {
  it('refuses a forged commit, a commit without two thirds, and a header not above the latest', () => {
    const { a, b, relayer } = twoChains();
    const stranger = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
    const before = b.snapshot();
    // signed by keys that are not the trusted validators, naming them as the set
    expect(b.tx(relayer, 'update_client', a.update(a.height + 1, stranger, a.validators(stranger))).code).toBe('VALIDATORS_UNTRUSTED');
    // signed by strangers, naming the trusted set
    expect(b.tx(relayer, 'update_client', a.update(a.height + 1, stranger)).code).toBe('BAD_COMMIT');
    // two of four trusted validators: not more than two thirds
    expect(b.tx(relayer, 'update_client', a.update(a.height + 1, a.validatorKeys.slice(0, 2))).code).toBe('BAD_COMMIT');
    expect(b.snapshot()).toBe(before);
    a.idle(2);
    updateOn(b, a, relayer);
    const after = b.snapshot();
    expect(b.tx(relayer, 'update_client', a.update(a.height)).code).toBe('HEADER_NOT_NEWER');
    expect(b.snapshot()).toBe(after);
  });

  it('follows a validator set change vouched for by more than a third of the trusted set, and refuses one that is not', () => {
    const { a, b, relayer } = twoChains();
    const [k0, k1] = a.validatorKeys;
    const fresh = [generateIdentityKeys(), generateIdentityKeys()];
    // new set: two old (20 of 40 trusted power) and two new
    const next = [k0!, k1!, ...fresh];
    expect(b.tx(relayer, 'update_client', a.update(a.height + 1, next, a.validators(next))).code).toBe('OK');
    // now the trusted set is `next`; a set of strangers vouched by one of it (10 of 40) is refused
    const strangers = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
    a.idle();
    const before = b.snapshot();
    expect(b.tx(relayer, 'update_client', a.update(a.height + 1, [fresh[0]!, ...strangers], a.validators([fresh[0]!, ...strangers]))).code).toBe('VALIDATORS_UNTRUSTED');
    expect(b.snapshot()).toBe(before);
  });

  it('refuses a proof against the wrong height or an unverified one, and a tampered packet', () => {
    const { a, b, relayer } = twoChains();
    expect(a.tx(a.admin, 'register_item', { item: 'pack-2' }).code).toBe('OK');
    const early = updateOn(b, a, relayer); // a header from before the packet
    const p = send(a, 'pack-2', b.admin, 100);
    const late = updateOn(b, a, relayer);
    const before = b.snapshot();
    const proofAtLate = a.prove(commitmentKey('a-to-b', 1), late);
    // the proof of the late header presented as one of the early header
    expect(b.tx(relayer, 'recv_packet', { packet: packetCanonical(p), proof: { ...(proofAtLate as object), height: early } }).code).toBe('BAD_PROOF');
    // the early header's state has no commitment yet
    expect(b.tx(relayer, 'recv_packet', { packet: packetCanonical(p), proof: a.prove(commitmentKey('a-to-b', 1), early) }).code).toBe('BAD_PROOF');
    // a height the light client never verified
    expect(b.tx(relayer, 'recv_packet', { packet: packetCanonical(p), proof: { ...(proofAtLate as object), height: late + 5 } }).code).toBe('CLIENT_HEIGHT_UNKNOWN');
    // the packet changed in flight (another receiver)
    const forged = { ...p, data: { ...p.data, receiver: hex(relayer) } };
    expect(b.tx(relayer, 'recv_packet', { packet: packetCanonical(forged), proof: proofAtLate }).code).toBe('BAD_PROOF');
    expect(b.snapshot()).toBe(before);
  });

  it('receives a packet once: a replay is refused by its sequence', () => {
    const { a, b, relayer } = twoChains();
    expect(a.tx(a.admin, 'register_item', { item: 'pack-3' }).code).toBe('OK');
    const p = send(a, 'pack-3', b.admin, 100);
    const h = updateOn(b, a, relayer);
    expect(recv(b, a, p, relayer, h)).toBe('OK');
    const before = b.snapshot();
    expect(recv(b, a, p, relayer, h)).toBe('PACKET_REPLAYED');
    expect(b.snapshot()).toBe(before);
    // and an acknowledgement is applied once
    const ah = updateOn(a, b, relayer);
    expect(ack(a, b, p, relayer, ah)).toBe('OK');
    const settled = a.snapshot();
    expect(ack(a, b, p, relayer, ah)).toBe('PACKET_SETTLED');
    expect(a.snapshot()).toBe(settled);
  });

  it('refunds after a proven timeout; refuses a timeout before the timeout height, after receipt, and a receive after the timeout', () => {
    const { a, b, relayer } = twoChains();
    expect(a.tx(a.admin, 'register_item', { item: 'pack-4' }).code).toBe('OK');
    expect(a.tx(a.admin, 'register_item', { item: 'pack-5' }).code).toBe('OK');
    const timeout = b.height + 4;
    const lost = send(a, 'pack-4', b.admin, timeout);
    const got = send(a, 'pack-5', b.admin, timeout);
    expect(recv(b, a, got, relayer)).toBe('OK');
    // too early: B's header below the timeout height
    let h = updateOn(a, b, relayer);
    expect(h).toBeLessThan(timeout);
    const early = a.snapshot();
    expect(a.tx(relayer, 'timeout_packet', { packet: packetCanonical(lost), proof: b.prove(receiptKey('b-to-a', lost.sequence), h) }).code).toBe('PACKET_NOT_TIMED_OUT');
    expect(a.snapshot()).toBe(early);
    b.idle(timeout - b.height);
    // B refuses to receive it now
    const ha = updateOn(b, a, relayer);
    const bBefore = b.snapshot();
    expect(recv(b, a, lost, relayer, ha)).toBe('PACKET_TIMED_OUT');
    expect(b.snapshot()).toBe(bBefore);
    h = updateOn(a, b, relayer);
    expect(h).toBeGreaterThanOrEqual(timeout);
    // the received one cannot be timed out: B's state holds its receipt, so no proof of absence verifies
    const mid = a.snapshot();
    expect(a.tx(relayer, 'timeout_packet', { packet: packetCanonical(got), proof: b.prove(receiptKey('b-to-a', got.sequence), h) }).code).toBe('BAD_PROOF');
    expect(a.snapshot()).toBe(mid);
    // the lost one is refunded
    expect(a.tx(relayer, 'timeout_packet', { packet: packetCanonical(lost), proof: b.prove(receiptKey('b-to-a', lost.sequence), h) }).code).toBe('OK');
    expect(getItem(a.h.view(), 'pack-4')).toMatchObject({ status: 'held', holder: hex(a.admin), channel: null });
    expect(a.tx(relayer, 'timeout_packet', { packet: packetCanonical(lost), proof: b.prove(receiptKey('b-to-a', lost.sequence), h) }).code).toBe('PACKET_SETTLED');
  });

  it('refuses custody moves by a key that does not hold the item', () => {
    const { a, b } = twoChains();
    const other = generateIdentityKeys();
    expect(a.tx(a.admin, 'register_item', { item: 'pack-6' }).code).toBe('OK');
    expect(a.tx(other, 'send_item', { item: 'pack-6', channel: 'a-to-b', receiver: hex(b.admin), timeoutHeight: 100 }).code).toBe('UNREGISTERED_SIGNER');
    expect(a.tx(a.admin, 'send_item', { item: 'pack-7', channel: 'a-to-b', receiver: hex(b.admin), timeoutHeight: 100 }).code).toBe('NOT_FOUND');
    expect(a.tx(a.admin, 'send_item', { item: 'pack-6', channel: 'nowhere', receiver: hex(b.admin), timeoutHeight: 100 }).code).toBe('CHANNEL_UNKNOWN');
  });
});

describe('malformed input', () => {
  it('refuses malformed payloads with INVALID_FIELD or MALFORMED_ENCODING, writing nothing', () => {
    const { a, b, relayer } = twoChains();
    const before = b.snapshot();
    expect(b.tx(relayer, 'update_client', { header: 'not bytes', commit: new Uint8Array(1), validators: [] }).code).toBe('INVALID_FIELD');
    expect(b.tx(relayer, 'update_client', { header: new Uint8Array([1, 2, 3]), commit: new Uint8Array([1]), validators: [] }).code).toBe('MALFORMED_ENCODING');
    expect(b.tx(relayer, 'recv_packet', { packet: { sequence: 0, sourceChannel: 'a-to-b', destChannel: 'b-to-a', port: 'custody', data: {}, timeoutHeight: 9 }, proof: a.prove('x') }).code).toBe('INVALID_FIELD');
    expect(b.tx(relayer, 'recv_packet', { packet: { sequence: 1, sourceChannel: 'A B', destChannel: 'b-to-a', port: 'custody', data: {}, timeoutHeight: 9 }, proof: a.prove('x') }).code).toBe('INVALID_FIELD');
    expect(b.tx(relayer, 'acknowledge_packet', { packet: { sequence: 1, sourceChannel: 'b-to-a', destChannel: 'a-to-b', port: 'custody', data: {}, timeoutHeight: 9 }, ack: { ok: false }, proof: a.prove('x') }).code).toBe('INVALID_FIELD');
    expect(b.tx(b.admin, 'register_item', { item: 'has/slash' }).code).toBe('INVALID_FIELD');
    expect(b.tx(b.admin, 'send_item', { item: 'x', channel: 'b-to-a', receiver: 'not-a-key', timeoutHeight: 5 }).code).toBe('INVALID_FIELD');
    expect(b.tx(relayer, 'open_channel', {}).code).toBe('UNKNOWN_TYPE');
    expect(b.snapshot()).toBe(before);
  });

  it('refuses a genesis section that names an unknown port, a channel to a chain without a client, or itself', () => {
    const k = [generateIdentityKeys()];
    const make = (section: unknown) => () => new ProvenChain('chain-x', k, section);
    expect(make({ clients: [], channels: [{ id: 'c', port: 'custody', counterpartyChainId: 'chain-y', counterpartyChannel: 'd' }] })).toThrow(/no light client/);
    expect(make({ clients: [{ chainId: 'chain-y', validators: ProvenChain.validatorsOf(k) }], channels: [{ id: 'c', port: 'money', counterpartyChainId: 'chain-y', counterpartyChannel: 'd' }] })).toThrow(/port money/);
    expect(make({ clients: [{ chainId: 'chain-x', validators: ProvenChain.validatorsOf(k) }], channels: [] })).toThrow(/this chain itself/);
    expect(make({ clients: [{ chainId: 'chain-y', validators: [] }], channels: [] })).toThrow(/validators/);
  });
});
