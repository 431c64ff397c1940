import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractsClient, PrivateContractsClient, SalusClient, type Wallet } from '@salus/client';
import { bundleContract } from '@salus/contracts';
import type { Canonical } from '@salus/core';

/** The example contract the demo deploys (the project's own, in contracts/). */
export const INVOICES_ENTRY = new URL('../../../../contracts/invoices/invoices.ts', import.meta.url).pathname;

export const INVOICES_MANIFEST = {
  name: 'invoices',
  version: '1.0.0',
  methods: {
    issue: { kind: 'call', roles: ['hospital', 'clinic'] },
    approve: { kind: 'call' },
    pay: { kind: 'call' },
    dispute: { kind: 'call' },
    settle: { kind: 'call' },
    cancel: { kind: 'call' },
    invoice: { kind: 'query' },
    balance: { kind: 'query' },
    open: { kind: 'query' },
  },
  upgrade: { policy: 'owner' },
};

export interface DemoContract {
  readonly name: string;
  readonly codeHash: string;
  readonly manifestFile: string;
  readonly provider: string;
  readonly payer: string;
}

/**
 * The invoices contract on the demo network: the hospital deploys and instantiates it, issues three
 * invoices to the insurer's claims service, which approves and pays the first; the rest stay open.
 */
export async function seedContracts(o: { url: string; hospital: Wallet; payer: Wallet; dir: string }): Promise<DemoContract> {
  const client = new SalusClient({ url: o.url });
  const provider = new ContractsClient(client, o.hospital);
  const { code } = await bundleContract({ entry: INVOICES_ENTRY });
  const { codeHash } = await provider.deploy(code);
  await provider.instantiate('invoices', codeHash, INVOICES_MANIFEST as unknown as Canonical);
  for (const [id, amount] of [['inv-0001', 18_250], ['inv-0002', 4_400], ['inv-0003', 96_000]] as const) {
    await provider.call('invoices', 'issue', { id, payer: o.payer.publicKeyHex, amount, ref: `demo ${id}` });
  }
  const payer = new ContractsClient(client, o.payer);
  await payer.call('invoices', 'approve', { id: 'inv-0001' });
  await payer.call('invoices', 'pay', { id: 'inv-0001' });
  const manifestFile = join(o.dir, 'invoices-manifest.json');
  writeFileSync(manifestFile, JSON.stringify(INVOICES_MANIFEST, null, 2) + '\n');
  return { name: 'invoices', codeHash, manifestFile, provider: o.hospital.publicKeyHex, payer: o.payer.publicKeyHex };
}

/** The project's private coverage contract (contracts/coverage): a payer's rules over claims with diagnosis codes. */
export const COVERAGE_ENTRY = new URL('../../../../contracts/coverage/coverage.ts', import.meta.url).pathname;

export function coverageManifest(parties: readonly string[]) {
  return {
    name: 'coverage',
    version: '1.0.0',
    methods: { submit: { kind: 'call', roles: ['hospital', 'clinic'] }, claim: { kind: 'query' }, owed: { kind: 'query' } },
    upgrade: { policy: 'owner' },
    private: { parties: [...parties], endorse: parties.length },
  };
}

export interface DemoPrivateContract {
  readonly name: string;
  readonly parties: readonly string[];
  /** organisation → node API URL, for `--parties` */
  readonly partiesFile: string;
  readonly provider: string;
  readonly claims: readonly string[];
}

/**
 * The private coverage contract between the insurer (who instantiates it) and the hospital: the
 * hospital submits two claims whose diagnosis codes only the two parties' nodes ever see; the
 * ledger gets the roots and the amounts payable.
 */
export async function seedPrivateContract(o: { hospital: { id: string; url: string; admin: Wallet }; insurer: { id: string; url: string; admin: Wallet }; dir: string }): Promise<DemoPrivateContract> {
  const parties = [o.hospital.id, o.insurer.id].sort();
  const partiesFile = join(o.dir, 'parties.json');
  writeFileSync(partiesFile, JSON.stringify({ [o.hospital.id]: o.hospital.url, [o.insurer.id]: o.insurer.url }, null, 2) + '\n');
  const payer = new ContractsClient(new SalusClient({ url: o.insurer.url }), o.insurer.admin);
  const { code } = await bundleContract({ entry: COVERAGE_ENTRY });
  const { codeHash } = await payer.deploy(code);
  await payer.instantiate('coverage', codeHash, coverageManifest(parties) as unknown as Canonical);
  const provider = new PrivateContractsClient(new SalusClient({ url: o.hospital.url }), o.hospital.admin, { [o.hospital.id]: o.hospital.url, [o.insurer.id]: o.insurer.url });
  const claims = [
    { id: 'claim-0001', patient: 'Patient/demo-1', lines: [{ code: '99213', diagnosis: ['J20.9'], amount: 12_000 }], notes: 'acute bronchitis, outpatient visit' },
    { id: 'claim-0002', patient: 'Patient/demo-2', lines: [{ code: '27447', diagnosis: ['M17.11'], amount: 900_000 }, { code: '15780', diagnosis: ['Z41.1'], amount: 300_000 }], notes: 'knee replacement; cosmetic procedure not covered' },
  ];
  for (const c of claims) await provider.call('coverage', 'submit', c as unknown as Canonical);
  return { name: 'coverage', parties, partiesFile, provider: o.hospital.admin.publicKeyHex, claims: claims.map((c) => c.id) };
}
