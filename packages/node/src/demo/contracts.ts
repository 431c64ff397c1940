import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractsClient, SalusClient, type Wallet } from '@salus/client';
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
