import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNDO_WINDOW_MS } from '@salus/supply';
import { fakeClock } from './fake-clock.js';
import { aggregate, case_, commission, dispense, doc, pack, receive, ship, site, startSupplyNode, type SupplyNet } from './supply-fixture.js';

/**
 * Drug traceability over a real node's HTTP API: a manufacturer commissions packs and packs them in
 * a case, ships the case to a wholesaler, who receives it and ships it on to a pharmacy, which
 * verifies and dispenses; then a counterfeit (unknown serial), a cloned code (dispensed twice), a
 * lot mismatch, a recalled lot, a pack verified at the wrong pharmacy, and the undo of a dispense
 * within the window and not after. The trace of a pack is proven against a committed header.
 */
const clock = fakeClock();
let net: SupplyNet;
beforeAll(async () => {
  net = await startSupplyNode(clock);
});
afterAll(() => net?.t.close());

const a = pack('12345', 'A1');
const b = pack('12345', 'A2');
const c = pack('12345', 'B1');
const box = case_('0355555', '000000001');

describe('a pack from the manufacturer to the patient', () => {
  it('commissions, aggregates, ships, receives, verifies, dispenses, and catches falsified and recalled packs', async () => {
    const s = net.supply;
    const ok = async (p: keyof typeof s, events: Record<string, unknown>[]) => expect((await s[p].capture(doc(events))).success).toBe(true);
    await ok('maker', [commission(clock, 'maker', [a.urn, b.urn], 'L1', '2030-01-31'), commission(clock, 'maker', [c.dl], 'L2', '2030-06-30'), aggregate(clock, 'maker', box, [a.urn, b.dl])]);
    // shipping the case ships every pack inside it
    await ok('maker', [ship(clock, 'maker', 'wholesaler', [box, c.urn])]);
    expect((await s.pharmacy.verify({ gtin: a.gtin, serial: a.serial, org: 'wholesaler' })).valid).toBe(true);
    await ok('wholesaler', [receive(clock, 'wholesaler', [box, c.urn])]);
    await ok('wholesaler', [ship(clock, 'wholesaler', 'pharmacy', [box, c.dl])]);
    await ok('pharmacy', [receive(clock, 'pharmacy', [box, c.urn])]);

    const v = await s.pharmacy.verify({ gtin: a.gtin, serial: a.serial, lot: 'L1', expiry: '300131', org: 'pharmacy' });
    expect(v).toMatchObject({ valid: true, pack: { status: 'packed', owner: 'pharmacy', manufacturer: 'maker' } });
    await ok('pharmacy', [dispense(clock, 'pharmacy', [a.urn])]);

    const reason = async (q: Parameters<typeof s.pharmacy.verify>[0]) => (await s.pharmacy.verify(q)).reason;
    // a cloned code: the serial was dispensed already
    expect(await reason({ gtin: a.gtin, serial: a.serial, lot: 'L1', org: 'pharmacy' })).toBe('already-dispensed');
    // a counterfeit: a serial no manufacturer commissioned
    expect(await reason({ gtin: a.gtin, serial: 'FAKE9', lot: 'L1' })).toBe('unknown-serial');
    expect(await reason({ gtin: b.gtin, serial: b.serial, lot: 'L9' })).toBe('lot-mismatch');
    expect(await reason({ gtin: b.gtin, serial: b.serial, expiry: '2031-01-31' })).toBe('expiry-mismatch');
    expect(await reason({ gtin: b.gtin, serial: b.serial, org: 'pharmacy2' })).toBe('not-shipped-to-this-pharmacy');
    const dispensedTwice = await s.pharmacy.capture(doc([dispense(clock, 'pharmacy', [a.dl])])).catch((e: unknown) => e);
    expect(dispensedTwice).toMatchObject({ code: 'EPCIS_RULE', meta: { rule: 'already-dispensed', pack: `sgtin:${a.gtin}:A1` } });

    // a recall by the manufacturer: the pack answers recalled wherever it is, and cannot be dispensed
    await expect(s.wholesaler.recall(c.gtin, 'L2', 'contamination')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await s.maker.recall(c.gtin, 'L2', 'contamination');
    expect(await s.pharmacy.verify({ gtin: c.gtin, serial: c.serial, lot: 'L2', org: 'pharmacy' })).toMatchObject({ valid: false, reason: 'recalled', action: expect.stringContaining('recall') });
    await expect(s.pharmacy.capture(doc([dispense(clock, 'pharmacy', [c.urn])]))).rejects.toMatchObject({ meta: { rule: 'recalled' } });

    // undo of a dispense: only by the pharmacy that dispensed, within the window
    await expect(s.pharmacy2.undoDispense(a.gtin, a.serial)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await s.pharmacy.undoDispense(a.gtin, a.serial);
    expect((await s.pharmacy.verify({ gtin: a.gtin, serial: a.serial, org: 'pharmacy' })).valid).toBe(true);
    await ok('pharmacy', [dispense(clock, 'pharmacy', [a.urn])]);
    clock.advance(UNDO_WINDOW_MS + 60_000);
    // refused at admission, or in its block when the block's time passes the window after admission: the rule is in the message either way
    await expect(s.pharmacy.undoDispense(a.gtin, a.serial)).rejects.toMatchObject({ code: 'EPCIS_RULE', message: expect.stringContaining('(rule undo-window)') });
    expect(await reason({ gtin: a.gtin, serial: a.serial })).toBe('already-dispensed');

    // the pack's trace, every state proof checked by the SDK
    const t = await s.pharmacy.trace(a.dl);
    expect(t.pack.decoded).toMatchObject({ status: 'dispensed', dispensedBy: 'pharmacy' });
    expect(t.events.map((e) => e.event.bizStep)).toEqual(['commissioning', 'packing', 'shipping', 'receiving', 'shipping', 'receiving', 'dispensing', 'dispensing']);
    const shipped = await s.pharmacy.events({ EQ_bizStep: 'shipping', MATCH_epc: box });
    expect(shipped.epcisBody.queryResults.resultsBody.eventList).toHaveLength(2);
    // the case as a parent: only the packing event; as any EPC: packing, both shipments and both receipts
    expect((await s.pharmacy.allEvents({ MATCH_parentID: box })).map((e) => e.bizStep)).toEqual(['packing']);
    expect((await s.pharmacy.allEvents({ MATCH_anyEPC: box })).map((e) => e.bizStep)).toEqual(['packing', 'shipping', 'receiving', 'shipping', 'receiving']);
    expect(await s.pharmacy.allEvents({ MATCH_epc: a.dl, EQ_bizStep: 'dispensing' })).toHaveLength(2);
    const inWindow = await s.pharmacy.allEvents({ GE_eventTime: new Date(clock.now() - UNDO_WINDOW_MS).toISOString(), LT_eventTime: new Date(clock.now()).toISOString(), MATCH_epc: a.urn });
    expect(inWindow).toEqual([]);
    const ever = await s.pharmacy.allEvents({ GE_eventTime: '2020-01-01T00:00:00Z', LT_eventTime: new Date(clock.now()).toISOString(), MATCH_epc: a.urn, perPage: 1 });
    expect(ever.map((e) => e.bizStep)).toEqual(['commissioning', 'packing', 'dispensing', 'dispensing']);
    const atPharmacy = await s.pharmacy.allEvents({ EQ_bizLocation: site('pharmacy') });
    expect(atPharmacy.length).toBe(0);
  });

  it("runs the README's traceability snippet as written", async () => {
    const root = new URL('../../../', import.meta.url).pathname;
    const snippet = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((x) => x.includes('SupplyClient'))!;
    const p = pack('12345', 'S1');
    expect(snippet).toContain(p.gtin);
    const keyFile = join(net.t.home, 'maker.json');
    const docFile = join(net.t.home, 'commission.jsonld');
    writeFileSync(keyFile, JSON.stringify(net.wallets.maker.export()));
    writeFileSync(docFile, JSON.stringify(doc([commission(clock, 'maker', [p.urn], 'L1', '2030-01-31')])));
    const code = snippet.replace('http://127.0.0.1:26657', net.t.url).replace("'maker.json'", JSON.stringify(keyFile)).replace("'commission.jsonld'", JSON.stringify(docFile)) + '\nconsole.log(JSON.stringify({ success: job.success, valid: check.valid, events: trace.events.length }));\n';
    const file = join(root, 'packages/node/test', `.readme-supply-${process.pid}.mjs`);
    writeFileSync(file, code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 45_000 });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ success: true, valid: true, events: 1 });
    } finally {
      rmSync(file, { force: true });
    }
  });
});
