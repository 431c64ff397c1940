import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SalusClient, Wallet } from '@salus/client';
import { CAPTURE_EVENTS_MAX, EVENT_TIME_SKEW_MS } from '@salus/supply';
import { toHex } from '@salus/core';
import { fakeClock } from './fake-clock.js';
import { aggregate, case_, commission, doc, ed, event, pack, receive, ship, startSupplyNode, type SupplyNet } from './supply-fixture.js';

/**
 * Every bad capture the traceability issue lists, over HTTP: each is refused with its typed error
 * and EPCIS exception type, names the event and the field or rule, records nothing of its document
 * (capture is all or nothing), and the node goes on serving.
 */
const clock = fakeClock();
let net: SupplyNet;
const x = pack('54321', 'X1');
const y = pack('54321', 'Y1');
const box1 = case_('0355555', '000000011');
const box2 = case_('0355555', '000000012');

beforeAll(async () => {
  net = await startSupplyNode(clock);
  const s = net.supply;
  await s.maker.capture(doc([commission(clock, 'maker', [x.urn, y.urn], 'L7', '2031-01-31'), aggregate(clock, 'maker', box1, [x.urn])]));
  await s.maker.capture(doc([ship(clock, 'maker', 'pharmacy', [y.urn])]));
});
afterAll(() => net?.t.close());

async function post(w: Wallet | null, body: string, type = 'application/ld+json', o: { badSignature?: boolean } = {}) {
  const headers: Record<string, string> = { 'content-type': type };
  if (w) {
    const c = new SalusClient({ url: net.t.url, ed });
    const nonce = await c.nextNonce(w.publicKeyHex);
    const { tx } = w.buildTx({ chainId: 'salus-test', nonce, module: 'supply', type: 'capture', payload: { document: o.badSignature ? `${body} ` : body } });
    Object.assign(headers, { 'salus-signer': w.publicKeyHex, 'salus-nonce': String(nonce), 'salus-signature': toHex(tx.signature) });
  }
  const r = await fetch(`${net.t.url}/epcis/capture`, { method: 'POST', headers, body });
  const j = (await r.json()) as { type?: string; error?: { code: string; meta?: Record<string, unknown> } };
  return { status: r.status, type: j.type, code: j.error?.code, meta: j.error?.meta };
}

async function ledgerSnapshot() {
  const events = await net.supply.maker.allEvents({ perPage: 100 });
  const packs = await Promise.all([x, y].map((p) => net.supply.maker.verify({ gtin: p.gtin, serial: p.serial })));
  return { events: events.length, packs: packs.map((p) => p.pack) };
}

describe('bad captures are refused whole and change nothing', () => {
  it('refuses each with its typed error and EPCIS exception, naming the event and field or rule', async () => {
    const w = net.wallets;
    const before = await ledgerSnapshot();
    const fresh = pack('54321', 'Z1');
    const text = (events: Record<string, unknown>[]) => JSON.stringify(doc(events));
    const cases: [string, Promise<{ status: number; code?: string; meta?: Record<string, unknown> }>, Record<string, unknown>][] = [
      ['fails the schema', post(w.maker, text([{ ...commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31'), eventTime: undefined }])), { status: 400, type: 'epcisException:ValidationException', code: 'EPCIS_INVALID', meta: { event: 0, epcisException: 'ValidationException' } }],
      ['not JSON', post(w.maker, '{"type": "EPCISDocument",'), { status: 400, code: 'EPCIS_INVALID' }],
      ['a wrong check digit', post(w.maker, text([commission(clock, 'maker', [fresh.dl.replace(/(\d)\/21\//, (_m, d: string) => `${(Number(d) + 1) % 10}/21/`)], 'L7', '2031-01-31')])), { status: 400, code: 'EPCIS_INVALID', meta: { event: 0, field: 'epcList[0]' } }],
      ["another company's identifier", post(w.wholesaler, text([commission(clock, 'wholesaler', [fresh.urn], 'L7', '2031-01-31')])), { status: 409, code: 'EPCIS_RULE', meta: { rule: 'foreign-identifier', event: 0, epcisException: 'ValidationException' } }],
      ['an event time in the future', post(w.maker, text([{ ...commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31'), eventTime: new Date(clock.now() + EVENT_TIME_SKEW_MS + 3_600_000).toISOString() }])), { status: 409, code: 'EPCIS_RULE', meta: { rule: 'future-event-time', field: 'eventTime' } }],
      ['a ship by a non-owner', post(w.wholesaler, text([ship(clock, 'wholesaler', 'pharmacy', [x.urn])])), { status: 409, type: 'epcisException:ValidationException', code: 'EPCIS_RULE', meta: { rule: 'not-owner', pack: `sgtin:${x.gtin}:X1` } }],
      ['a pack already inside another case', post(w.maker, text([aggregate(clock, 'maker', box2, [x.dl])])), { status: 409, code: 'EPCIS_RULE', meta: { rule: 'already-aggregated', pack: `sgtin:${x.gtin}:X1` } }],
      ['a receive of a pack shipped to someone else', post(w.pharmacy2, text([receive(clock, 'pharmacy2', [y.urn])])), { status: 409, code: 'EPCIS_RULE', meta: { rule: 'not-shipped-to-receiver' } }],
      // all or nothing: the first event is good, the second breaks a rule, the first is not kept
      ['a good event before a bad one', post(w.maker, text([commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31'), ship(clock, 'maker', 'wholesaler', [y.urn])])), { status: 409, code: 'EPCIS_RULE', meta: { rule: 'not-shippable', event: 1 } }],
      ['too many events', post(w.maker, text(Array.from({ length: CAPTURE_EVENTS_MAX + 1 }, () => event(clock, { action: 'OBSERVE', epcList: [x.urn] })))), { status: 413, type: 'epcisException:CaptureLimitExceededException', code: 'EPCIS_CAPTURE_LIMIT', meta: { epcisException: 'CaptureLimitExceededException' } }],
      ['too many bytes', post(w.maker, text([{ ...commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31'), 'example:note': 'x'.repeat(210 * 1024) }])), { status: 413, type: 'epcisException:CaptureLimitExceededException', code: 'EPCIS_CAPTURE_LIMIT' }],
      ['no signature', post(null, text([commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31')])), { status: 403, type: 'epcisException:SecurityException', code: 'UNREGISTERED_SIGNER' }],
      ['a signature over another document', post(w.maker, text([commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31')]), 'application/json', { badSignature: true }), { status: 401, code: 'BAD_SIGNATURE' }],
      ['an unregistered signer', post(Wallet.create(ed), text([commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31')])), { status: 403, code: 'UNREGISTERED_SIGNER' }],
      ['a body that is not JSON-LD', post(w.maker, 'hello', 'text/plain'), { status: 415 }],
    ];
    for (const [what, got, want] of cases) expect(await got, what).toMatchObject(want);

    // a duplicate event id: captured once, refused the second time
    const once = commission(clock, 'maker', [fresh.urn], 'L7', '2031-01-31');
    expect((await net.supply.maker.capture(doc([once]))).success).toBe(true);
    const again = { ...commission(clock, 'maker', [pack('54321', 'Z2').urn], 'L7', '2031-01-31'), eventID: once.eventID };
    expect(await post(w.maker, text([again]))).toMatchObject({ status: 409, code: 'EPCIS_RULE', meta: { rule: 'duplicate-event', field: 'eventID' } });

    const after = await ledgerSnapshot();
    expect(after).toEqual({ events: before.events + 1, packs: before.packs });
    expect((await net.supply.maker.verify({ gtin: x.gtin, serial: 'Z2' })).reason).toBe('unknown-serial');
  });

  it('refuses bad queries, verifications and job ids with their codes and goes on serving', async () => {
    const get = async (path: string) => {
      const r = await fetch(`${net.t.url}${path}`);
      const j = (await r.json()) as { type?: string; error?: { code: string; meta?: Record<string, unknown> } };
      return { status: r.status, type: j.type, code: j.error?.code, meta: j.error?.meta };
    };
    expect(await get('/epcis/events?EQ_color=red')).toMatchObject({ status: 400, type: 'epcisException:QueryParameterException', code: 'EPCIS_QUERY', meta: { field: 'EQ_color', epcisException: 'QueryParameterException' } });
    expect(await get('/epcis/events?GE_eventTime=yesterday')).toMatchObject({ status: 400, code: 'EPCIS_QUERY' });
    expect(await get('/epcis/events?perPage=0')).toMatchObject({ status: 400, code: 'EPCIS_QUERY' });
    expect(await get('/epcis/events?MATCH_epc=urn:epc:id:sgtin:0355555.054321')).toMatchObject({ status: 400, code: 'EPCIS_QUERY' });
    expect(await get(`/supply/verify?gtin=${x.gtin.slice(0, -1)}0&serial=X1`)).toMatchObject({ status: 400, code: 'EPCIS_INVALID' });
    expect(await get(`/supply/verify?gtin=${x.gtin}&serial=X1&expiry=31-01`)).toMatchObject({ status: 400, code: 'INVALID_FIELD', meta: { field: 'expiry' } });
    expect(await get('/supply/trace?epc=urn:epc:id:sscc:0355555.0000000011')).toMatchObject({ status: 400, code: 'INVALID_FIELD' });
    expect(await get(`/epcis/capture/${'ab'.repeat(32)}`)).toMatchObject({ status: 404, type: 'epcisException:NoSuchResourceException', code: 'NOT_FOUND' });
    // a committed transaction that is not a capture is no capture job
    const other = await net.supply.maker.recall(x.gtin, 'L0', 'no such lot, but a manufacturer may recall it');
    expect(await get(`/epcis/capture/${other.hash}`)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await net.supply.maker.verify({ gtin: x.gtin, serial: 'X1' })).valid).toBe(true);
  });
});
