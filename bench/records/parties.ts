// The parties of the records benchmark, as packages/node/test/records-fixture.ts sets them up:
// practitioners added with identity/add_member by their organisation's admin (<home>/keys/<org>-admin.json,
// which is also the practitioner's organisation wallet that opens organisation envelopes); patients
// register (register_patient + keyring) and grant organisations read+write on all their records.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordsClient, SalusClient, Wallet, type WalletJson } from '@salus/client';
import { toHex, type Ed25519, type KeyWrap } from '@salus/core';
import { log } from '../lib/cli.js';
import type { FastLocalnet } from '../lib/localnet.js';
import type { RecordsFlags } from './flags.js';
import { now } from './util.js';

export interface Parties {
  readonly clients: SalusClient[];
  readonly adminJson: WalletJson[];
  readonly admins: Wallet[];
  /** the organisation (index) of the readers; A authors the consent-phase records, B is granted and revoked */
  readonly readOrgIdx: number;
  readonly consentA: number;
  readonly consentB: number;
  readonly writerWallets: Wallet[];
  readonly readerWallets: Wallet[];
  readonly authorA: Wallet;
  readonly readerB: Wallet;
  readonly patientWallets: Wallet[];
  readonly patientQ: Wallet;
  readonly pids: string[];
  /** a RecordsClient of wallet `w` through node `node`, with organisation `orgIdx`'s wallet */
  rc(w: Wallet, node: number, orgIdx?: number): RecordsClient;
}

export async function setUpParties(net: FastLocalnet, flags: RecordsFlags, ed: Ed25519, kw: KeyWrap | undefined): Promise<Parties> {
  const { nodesInit, orgs, url } = net;
  const clients = [0, 1, 2, 3].map((i) => new SalusClient({ url: url(i), ed }));
  const adminJson = nodesInit.map((n) => JSON.parse(readFileSync(join(n.home, 'keys', `${n.org}-admin.json`), 'utf8')) as WalletJson);
  const admins = adminJson.map((j) => Wallet.import(j, ed, kw));
  const memberPayload = (org: string, w: Wallet, name: string) => ({ org, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role: 'practitioner', name });
  const readOrgIdx = flags.readNode;
  const consentA = (readOrgIdx + 1) % 4; // authors the consent-phase records
  const consentB = (readOrgIdx + 2) % 4; // is granted and revoked
  const members: { w: Wallet; name: string }[][] = [[], [], [], []]; // per organisation
  const writerWallets = Array.from({ length: flags.writers }, (_, k) => {
    const w = Wallet.create(ed, kw);
    members[k % 4]!.push({ w, name: `Dr Writer ${k}` });
    return w;
  });
  const readerWallets = Array.from({ length: 4 }, (_, k) => {
    const w = Wallet.create(ed, kw);
    members[readOrgIdx]!.push({ w, name: `Dr Reader ${k}` });
    return w;
  });
  const authorA = Wallet.create(ed, kw);
  members[consentA]!.push({ w: authorA, name: 'Dr Consent Author' });
  const readerB = Wallet.create(ed, kw);
  members[consentB]!.push({ w: readerB, name: 'Dr Consent Reader' });
  const tSetup = now();
  await Promise.all(
    members.map(async (list, o) => {
      for (const m of list) await clients[o]!.send(admins[o]!, 'identity', 'add_member', memberPayload(orgs[o]!, m.w, m.name));
    }),
  );
  log(`[records] ${members.flat().length} practitioners added (${((now() - tSetup) / 1000).toFixed(1)} s)`);

  // patients: the write-phase ones grant all 4 organisations read+write on everything; the consent
  // patient grants organisation A read+write (it authors), B gets per-round grants
  const patientWallets = Array.from({ length: flags.patients }, () => Wallet.create(ed, kw));
  const patientQ = Wallet.create(ed, kw);
  const rc = (w: Wallet, node: number, orgIdx?: number): RecordsClient => new RecordsClient(clients[node]!, w, orgIdx === undefined ? {} : { orgWallet: admins[orgIdx]! });
  const tPat = now();
  await Promise.all([
    ...patientWallets.map(async (w, p) => {
      const c = rc(w, p % 4);
      await c.registerPatient();
      for (let o = 0; o < 4; o++) await c.grant({ id: `w-${o}`, grantee: { org: orgs[o]! }, scope: 'all', actions: ['read', 'write'] });
    }),
    (async () => {
      const c = rc(patientQ, consentA);
      await c.registerPatient();
      await c.grant({ id: 'author', grantee: { org: orgs[consentA]! }, scope: 'all', actions: ['read', 'write'] });
    })(),
  ]);
  const pids = patientWallets.map((w) => w.patientId);
  log(`[records] ${flags.patients + 1} patients registered, keyrings shared, grants given (${((now() - tPat) / 1000).toFixed(1)} s)`);
  return { clients, adminJson, admins, readOrgIdx, consentA, consentB, writerWallets, readerWallets, authorA, readerB, patientWallets, patientQ, pids, rc };
}
