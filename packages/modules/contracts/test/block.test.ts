import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateIdentityKeys, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { createModuleHarness, type HarnessTx, type ModuleHarness } from '@salus/module';
import { identityModule } from '@salus/identity';
import { bundleContract, contractsModule } from '../src/index.js';
import { Sandbox } from '../src/runtime/sandbox.js';

/** The block-scoped sandboxes through the real module manager: its beginBlock and endBlock hooks bound them. */
const SOURCE = `import { state, fail } from '@salus/contracts/sdk';
let calls = 0;
export function hit(a: { n: number }) { calls++; if (a.n < 0) fail('NEGATIVE', 'n < 0'); state.set('n', (state.get<number>('n') ?? 0) + a.n); return calls; }
`;

describe('contract calls in blocks', () => {
  afterEach(() => vi.restoreAllMocks());

  async function ledger(): Promise<{ h: ModuleHarness; admin: IdentityKeys; call: (n: number) => HarnessTx }> {
    const admin = generateIdentityKeys();
    const h = createModuleHarness({
      modules: [identityModule, contractsModule],
      genesis: {
        chainId: 'salus-block-test',
        genesisTime: 1_700_000_000_000,
        organisations: [{ id: 'hospital-1', name: 'Hospital', kind: 'hospital', adminKey: toHex(admin.signing.publicKey), encryptionKey: toHex(admin.encryption.publicKey) }],
        validators: [{ pubKey: toHex(generateIdentityKeys().signing.publicKey), power: 10, org: 'hospital-1' }],
      },
    });
    const { code, codeHash } = await bundleContract({ source: SOURCE, fileName: 'hits.ts' });
    const send = (type: string, payload: Record<string, unknown>) => expect(h.exec({ signer: admin, module: 'contracts', type, payload: payload as Canonical }).code).toBe('OK');
    send('deploy', { code });
    send('instantiate', { name: 'hits', codeHash, manifest: { name: 'hits', version: '1', methods: { hit: { kind: 'call' } }, upgrade: { policy: 'owner' } } });
    const call = (n: number): HarnessTx => ({ signer: admin, module: 'contracts', type: 'call', payload: { contract: 'hits', method: 'hit', args: { n }, gas: 1_000_000 } });
    return { h, admin, call };
  }

  it('reuses one sandbox for a block s calls of a contract, each with fresh module variables, and starts the next block anew', async () => {
    const { h, call } = await ledger();
    const created = vi.spyOn(Sandbox, 'create');
    const results = h.block(call(1), call(-1), call(2), call(3));
    expect(results.map((r) => r.code)).toEqual(['OK', 'CONTRACT_FAILED', 'OK', 'OK']);
    for (const r of results.filter((x) => x.code === 'OK')) expect(r.events.find((e) => e.type === 'contracts.called')!.attributes.result).toBe(1);
    expect(created).toHaveBeenCalledTimes(1);
    h.block(call(1), call(1));
    expect(created).toHaveBeenCalledTimes(2);
  });

  it('gives the same results and gas in one block as in a block each', async () => {
    const a = await ledger();
    const b = await ledger();
    const ns = [5, -1, 7, 0, -3, 9];
    const together = a.h.block(...ns.map(a.call));
    const apart = ns.map((n) => b.h.exec(b.call(n)));
    const strip = (r: { code: string; gasUsed?: number; events: readonly { type: string; attributes: Record<string, unknown> }[] }) => ({ code: r.code, gasUsed: r.gasUsed, events: r.events });
    expect(together.map(strip)).toEqual(apart.map(strip));
    expect(together.every((r) => typeof r.gasUsed === 'number' && r.gasUsed > 0)).toBe(true);
  });

  it('runs no contract code at admission', async () => {
    const { h, call } = await ledger();
    const created = vi.spyOn(Sandbox, 'create');
    h.check(call(1));
    expect(created).not.toHaveBeenCalled();
  });
});
