import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SalusClient, SupplyClient, Wallet } from '@salus/client';
import { toHex } from '@salus/core';
import { checkDigit } from '@salus/supply';
import { initHome } from '../src/config/home.js';
import { startTestNode, tempDir, type TestNode } from './harness.js';
import type { FakeClock } from './fake-clock.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';

/**
 * A node whose genesis founds a drug supply chain: the founding organisation holds the company
 * prefixes GS1's example documents use; a manufacturer, a wholesaler and two pharmacies hold one
 * each. Documents are built as EPCIS 2.0 JSON-LD, as a trading partner's system would send them.
 */
export const ed = createNativeEd25519();
export const EXAMPLE_PREFIXES = ['0012345', '0037000', '0353579', '0614141', '4000001', '4012345', '4023333', '5012345', '9520001', '952005385', '9520999', '9524567', '9529999', '9506000'];
export const PARTIES = { maker: '0355555', wholesaler: '0366666', pharmacy: '0377777', pharmacy2: '0388888' } as const;
export type Party = keyof typeof PARTIES;

export interface SupplyNet {
  readonly t: TestNode;
  readonly wallets: Record<Party, Wallet>;
  readonly supply: Record<Party | 'founder', SupplyClient>;
}

export async function startSupplyNode(clock: FakeClock): Promise<SupplyNet> {
  const home = tempDir();
  initHome({ home, chainId: 'salus-test', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' }, port: 0 });
  const wallets = { maker: Wallet.create(ed), wholesaler: Wallet.create(ed), pharmacy: Wallet.create(ed), pharmacy2: Wallet.create(ed) };
  const kinds: Record<Party, string> = { maker: 'manufacturer', wholesaler: 'distributor', pharmacy: 'pharmacy', pharmacy2: 'pharmacy' };
  const file = join(home, 'genesis.json');
  const g = JSON.parse(readFileSync(file, 'utf8'));
  for (const p of Object.keys(wallets) as Party[]) g.organisations.push({ id: p, name: p, kind: kinds[p], adminKey: wallets[p].publicKeyHex, encryptionKey: toHex(wallets[p].encryptionPublicKey) });
  g.modules = { supply: { prefixes: { 'founding-hospital': EXAMPLE_PREFIXES, ...Object.fromEntries(Object.entries(PARTIES).map(([p, cp]) => [p, [cp]])) } } };
  writeFileSync(file, JSON.stringify(g));
  const t = await startTestNode({ home, clock }, true);
  const client = new SalusClient({ url: t.url, ed });
  const supply = { founder: new SupplyClient(client, t.admin), ...Object.fromEntries((Object.keys(wallets) as Party[]).map((p) => [p, new SupplyClient(client, wallets[p])])) } as SupplyNet['supply'];
  return { t, wallets, supply };
}

/** a pack of the manufacturer: its SGTIN as EPC URN, its GTIN-14 and serial */
export function pack(item: string, serial: string, cp = PARTIES.maker): { urn: string; dl: string; gtin: string; serial: string } {
  const body = `0${cp}${item}`;
  const gtin = body + checkDigit(body);
  return { urn: `urn:epc:id:sgtin:${cp}.0${item}.${serial}`, dl: `https://id.gs1.org/01/${gtin}/21/${serial}`, gtin, serial };
}

export function case_(cp: string, ref: string): string {
  return `urn:epc:id:sscc:${cp}.0${ref}`;
}

export const party = (p: Party) => `urn:epc:id:pgln:${PARTIES[p]}.00000`;
export const site = (p: Party) => `urn:epc:id:sgln:${PARTIES[p]}.00000.0`;

let n = 0;
export function event(clock: FakeClock, e: Record<string, unknown>): Record<string, unknown> {
  n += 1;
  return { type: 'ObjectEvent', eventTime: new Date(clock.now() - 60_000).toISOString(), eventTimeZoneOffset: '+00:00', eventID: `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ...e };
}

export function doc(events: Record<string, unknown>[]): Record<string, unknown> {
  return { '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z', epcisBody: { eventList: events } };
}

export const commission = (clock: FakeClock, p: Party, epcs: string[], lot: string, expiry: string) =>
  event(clock, { action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: epcs, readPoint: { id: site(p) }, ilmd: { 'cbvmda:lotNumber': lot, 'cbvmda:itemExpirationDate': expiry } });
export const aggregate = (clock: FakeClock, p: Party, parent: string, children: string[]) =>
  event(clock, { type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', disposition: 'in_progress', parentID: parent, childEPCs: children, readPoint: { id: site(p) } });
export const ship = (clock: FakeClock, from: Party, to: Party, epcs: string[]) =>
  event(clock, { action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit', epcList: epcs, readPoint: { id: site(from) }, sourceList: [{ type: 'owning_party', source: party(from) }], destinationList: [{ type: 'owning_party', destination: party(to) }] });
export const receive = (clock: FakeClock, p: Party, epcs: string[]) => event(clock, { action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress', epcList: epcs, readPoint: { id: site(p) } });
export const dispense = (clock: FakeClock, p: Party, epcs: string[]) => event(clock, { action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed', epcList: epcs, readPoint: { id: site(p) } });
