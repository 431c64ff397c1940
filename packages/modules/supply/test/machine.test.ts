import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateIdentityKeys, toHex, type IdentityKeys } from '@salus/core';
import { checkDigit } from '../src/epcis/identifiers.js';
import { createModuleHarness, type ModuleHarness } from '@salus/module';
import { identityModule } from '@salus/identity';
import { supplyModule } from '../src/module/module.js';
import { verifyPack } from '../src/module/verify.js';

/**
 * The per-pack state machine against a model of it, through the real module manager (identity and
 * supply, in-process): random documents of commissions, shipments, receipts and dispenses by three
 * organisations are captured whole exactly when every event is allowed in turn, a refused document
 * changes no state at all, and verification answers what the model says.
 */
type Party = 'maker' | 'wholesaler' | 'pharmacy';
const PARTIES: readonly Party[] = ['maker', 'wholesaler', 'pharmacy'];
const PREFIX: Record<Party, string> = { maker: '0355555', wholesaler: '0366666', pharmacy: '0377777' };
const GTIN = (() => {
  const body = `0${PREFIX.maker}12345`;
  return body + checkDigit(body);
})();

type Op = { kind: 'commission'; by: Party; pack: number } | { kind: 'ship'; by: Party; to: Party; pack: number } | { kind: 'receive'; by: Party; pack: number } | { kind: 'dispense'; by: Party; pack: number };
interface ModelPack {
  owner: Party;
  status: 'commissioned' | 'shipped' | 'received' | 'dispensed';
  shippedTo: Party | null;
}

const party = fc.constantFrom(...PARTIES);
const packNo = fc.integer({ min: 0, max: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('commission' as const), by: fc.constantFrom<Party>('maker', 'maker', 'wholesaler'), pack: packNo }),
  fc.record({ kind: fc.constant('ship' as const), by: party, to: party, pack: packNo }).filter((o) => o.by !== o.to),
  fc.record({ kind: fc.constant('receive' as const), by: party, pack: packNo }),
  fc.record({ kind: fc.constant('dispense' as const), by: party, pack: packNo }),
);

/** The model: may `o` happen to the packs as they are, and what do they become? */
function step(packs: Map<number, ModelPack>, o: Op): boolean {
  const p = packs.get(o.pack);
  switch (o.kind) {
    case 'commission':
      if (p || o.by !== 'maker') return false;
      packs.set(o.pack, { owner: 'maker', status: 'commissioned', shippedTo: null });
      return true;
    case 'ship':
      if (!p || p.owner !== o.by || p.status === 'shipped' || p.status === 'dispensed') return false;
      packs.set(o.pack, { ...p, status: 'shipped', shippedTo: o.to });
      return true;
    case 'receive':
      if (!p || p.status !== 'shipped' || p.shippedTo !== o.by) return false;
      packs.set(o.pack, { owner: o.by, status: 'received', shippedTo: null });
      return true;
    case 'dispense':
      if (!p || p.status === 'dispensed' || p.status === 'shipped' || p.owner !== o.by) return false;
      packs.set(o.pack, { ...p, status: 'dispensed' });
      return true;
  }
}

const epc = (n: number) => `urn:epc:id:sgtin:${PREFIX.maker}.012345.P${n}`;
const here = (p: Party) => ({ id: `urn:epc:id:sgln:${PREFIX[p]}.00000.0` });

function eventOf(o: Op, time: string): Record<string, unknown> {
  const base = { type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', epcList: [epc(o.pack)], readPoint: here(o.by) };
  switch (o.kind) {
    case 'commission':
      return { ...base, action: 'ADD', bizStep: 'commissioning', ilmd: { 'cbvmda:lotNumber': 'L1', 'cbvmda:itemExpirationDate': '2030-01-31' } };
    case 'ship':
      return { ...base, action: 'OBSERVE', bizStep: 'shipping', destinationList: [{ type: 'owning_party', destination: `urn:epc:id:pgln:${PREFIX[o.to]}.00000` }] };
    case 'receive':
      return { ...base, action: 'OBSERVE', bizStep: 'receiving' };
    case 'dispense':
      return { ...base, action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed' };
  }
}

function chain(): { h: ModuleHarness; keys: Record<Party, IdentityKeys> } {
  const keys = { maker: generateIdentityKeys(), wholesaler: generateIdentityKeys(), pharmacy: generateIdentityKeys() };
  const validator = generateIdentityKeys();
  const genesis = {
    chainId: 'salus-supply',
    genesisTime: 1_700_000_000_000,
    organisations: PARTIES.map((p) => ({ id: p, name: p, kind: p === 'maker' ? 'manufacturer' : p === 'wholesaler' ? 'distributor' : 'pharmacy', adminKey: toHex(keys[p].signing.publicKey), encryptionKey: toHex(keys[p].encryption.publicKey) })),
    validators: [{ pubKey: toHex(validator.signing.publicKey), power: 10, org: 'maker' }],
    modules: { supply: { prefixes: Object.fromEntries(PARTIES.map((p) => [p, [PREFIX[p]]])) } },
  };
  return { h: createModuleHarness({ modules: [identityModule, supplyModule], genesis }), keys };
}

const snapshot = (h: ModuleHarness) => h.keys('supply/').map((k) => [k, JSON.stringify(h.view().get(k))]);

describe('the pack state machine', () => {
  it('captures a document exactly when the model allows each of its events in turn, and a refused one changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }), (docs) => {
        const { h, keys } = chain();
        const model = new Map<number, ModelPack>();
        for (const ops of docs) {
          // a document is captured by one organisation: the first event's
          const by = ops[0]!.by;
          const same = ops.map((o) => ({ ...o, by }) as Op);
          const trial = new Map([...model].map(([k, v]) => [k, { ...v }]));
          const allowed = same.every((o) => step(trial, o));
          const before = snapshot(h);
          const time = new Date(h.time - 60_000).toISOString();
          const document = JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: time, epcisBody: { eventList: same.map((o) => eventOf(o, time)) } });
          const r = h.exec({ signer: keys[by], module: 'supply', type: 'capture', payload: { document } });
          expect(r.code === 'OK', `${JSON.stringify(same)}: ${r.log}`).toBe(allowed);
          if (allowed) for (const [k, v] of trial) model.set(k, v);
          else expect(snapshot(h)).toEqual(before);
        }
        for (let n = 0; n < 4; n++) {
          const m = model.get(n);
          const v = verifyPack(h.view(), { gtin: GTIN, serial: `P${n}`, lot: 'L1' }, h.time);
          expect(v.reason).toBe(!m ? 'unknown-serial' : m.status === 'dispensed' ? 'already-dispensed' : undefined);
          if (m) expect(v.pack).toMatchObject({ owner: m.owner });
        }
      }),
      { numRuns: 60 },
    );
  });
});
