import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, pureEd25519, sha256, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { createModuleHarness, type ModuleHarness, type TxResult } from '@salus/module';
import { identityModule } from '@salus/identity';
import { EMPTY_ROOT, RESULT_AGE_MAX, bundleContract, contractCodeHash, contractsModule, getPrivateRoot, signResult, type PrivateResult } from '../src/index.js';

/**
 * The validators' side of private execution, through the real module manager: they never run a
 * private call, they check its endorsements (policy, distinct parties, signatures, caller), that
 * it ran on the current private root in a recent context, and keep evidence of a key that signed
 * two results for one input. Every refusal is typed and leaves the root as it was.
 */
const SOURCE = `import { state } from '@salus/contracts/sdk';
export function put(a: { k: string; v: number }) { state.set(a.k, a.v); return a.v; }
export function get(a: { k: string }) { return state.get(a.k) ?? null; }
`;
const CHAIN = 'salus-private-test';
const hex = (n: number) => toHex(sha256(new Uint8Array([n])));

interface Org {
  readonly id: string;
  readonly kind: string;
  readonly admin: IdentityKeys;
}
const orgs: Org[] = [
  { id: 'hospital-1', kind: 'hospital', admin: generateIdentityKeys() },
  { id: 'insurer-2', kind: 'insurer', admin: generateIdentityKeys() },
  { id: 'hospital-3', kind: 'hospital', admin: generateIdentityKeys() },
];
const [hospital, insurer, outsider] = orgs as [Org, Org, Org];
const key = (o: Org) => toHex(o.admin.signing.publicKey);

describe('private calls on the ledger', () => {
  let code: string;
  beforeAll(async () => {
    code = (await bundleContract({ source: SOURCE, fileName: 'kv.ts' })).code;
  });

  const manifest = (o: Record<string, unknown> = {}) => ({
    name: 'kv',
    version: '1',
    methods: { put: { kind: 'call' }, get: { kind: 'query' } },
    upgrade: { policy: 'owner' },
    private: { parties: ['insurer-2', 'hospital-1'] },
    ...o,
  });
  const tx = (h: ModuleHarness, signer: IdentityKeys, type: string, payload: unknown): TxResult => h.exec({ signer, module: 'contracts', type, payload: payload as Canonical });

  function ledger(): ModuleHarness {
    const h = createModuleHarness({
      modules: [identityModule, contractsModule],
      genesis: {
        chainId: CHAIN,
        genesisTime: 1_700_000_000_000,
        organisations: orgs.map((o) => ({ id: o.id, name: o.id, kind: o.kind, adminKey: key(o), encryptionKey: toHex(o.admin.encryption.publicKey) })),
        validators: [{ pubKey: toHex(generateIdentityKeys().signing.publicKey), power: 10, org: 'hospital-1' }],
      },
    });
    expect(tx(h, insurer.admin, 'deploy', { code }).code).toBe('OK');
    expect(tx(h, insurer.admin, 'instantiate', { name: 'kv', codeHash: contractCodeHash(code), manifest: manifest(), args: null }).code).toBe('OK');
    return h;
  }

  const result = (h: ModuleHarness, o: Partial<PrivateResult> = {}): PrivateResult => ({
    contract: 'kv',
    caller: key(hospital),
    roles: ['admin', 'hospital'],
    input: hex(1),
    height: h.height,
    time: 1_700_000_000_000,
    before: getPrivateRoot(h.view(), 'kv')!.root,
    after: hex(2),
    outputs: { value: 7, events: [{ event: 'stored', data: { k: 'a' } }] },
    ...o,
  });
  const sign = (r: PrivateResult, by: Org) => signResult(pureEd25519, by.admin.signing.secretKey, by.admin.signing.publicKey, CHAIN, r);
  const blobs = (parties = ['hospital-1', 'insurer-2']) => ({ content: hex(3), envelopes: parties.map((org, i) => ({ org, blob: hex(10 + i) })) });
  const privateCall = (h: ModuleHarness, r: PrivateResult, by: Org[] = [hospital, insurer], o: { signer?: IdentityKeys; blobs?: unknown } = {}) =>
    tx(h, o.signer ?? hospital.admin, 'private_call', { result: r, blobs: o.blobs ?? blobs(), endorsements: by.map((x) => sign(r, x)) });

  it('starts a private instance at the empty root and refuses its public calls and an init', async () => {
    const h = ledger();
    expect(getPrivateRoot(h.view(), 'kv')).toEqual({ root: EMPTY_ROOT, calls: 0, height: 0 });
    expect(tx(h, hospital.admin, 'call', { contract: 'kv', method: 'put', args: { k: 'a', v: 1 }, gas: 1_000_000 }).code).toBe('CONTRACT_FORBIDDEN');
    const withInit = (await bundleContract({ source: `${SOURCE}export function init() {}\n`, fileName: 'kv2.ts' })).code;
    expect(tx(h, insurer.admin, 'deploy', { code: withInit }).code).toBe('OK');
    expect(tx(h, insurer.admin, 'instantiate', { name: 'kv-two', codeHash: contractCodeHash(withInit), manifest: manifest({ name: 'kv-two' }), args: null }).code).toBe('CONTRACT_INVALID');
    for (const bad of [{ parties: [] }, { parties: ['hospital-1', 'hospital-1'] }, { parties: ['hospital-1'], endorse: 2 }, { parties: ['hospital-1'], endorse: 0 }]) {
      expect(tx(h, insurer.admin, 'instantiate', { name: 'kv-three', codeHash: contractCodeHash(code), manifest: manifest({ name: 'kv-three', private: bad }), args: null }).code, JSON.stringify(bad)).toBe('INVALID_FIELD');
    }
    expect(tx(h, insurer.admin, 'instantiate', { name: 'kv-four', codeHash: contractCodeHash(code), manifest: manifest({ name: 'kv-four', private: { parties: ['nobody-9'] } }), args: null }).code).toBe('NOT_FOUND');
  });

  it('commits a result both parties signed: the new root, the call count, the public outputs as events', () => {
    const h = ledger();
    const r = result(h);
    const out = privateCall(h, r);
    expect(out.code).toBe('OK');
    expect(getPrivateRoot(h.view(), 'kv')).toEqual({ root: r.after, calls: 1, height: h.height });
    expect(out.events).toEqual([
      { type: 'contracts.event', attributes: { contract: 'kv', event: 'stored', data: { k: 'a' } } },
      { type: 'contracts.private_called', attributes: { contract: 'kv', input: r.input, before: EMPTY_ROOT, after: r.after, call: 1, result: 7, endorsedBy: ['hospital-1', 'insurer-2'] } },
    ]);
  });

  it('refuses, with a typed error and the root unchanged: too few, foreign, doubled or forged endorsements, another caller, envelopes not for the parties, a stale root, an old or future context', () => {
    const h = ledger();
    const cases: [string, () => TxResult][] = [
      ['CONTRACT_ENDORSEMENT', () => privateCall(h, result(h), [hospital])],
      ['CONTRACT_ENDORSEMENT', () => privateCall(h, result(h), [hospital, outsider])],
      ['CONTRACT_ENDORSEMENT', () => privateCall(h, result(h), [hospital, hospital])],
      ['CONTRACT_ENDORSEMENT', () => privateCall(h, result(h), undefined, { signer: insurer.admin })],
      ['INVALID_FIELD', () => privateCall(h, result(h), undefined, { blobs: blobs(['hospital-1', 'hospital-3']) })],
      ['BAD_SIGNATURE', () => tx(h, hospital.admin, 'private_call', { result: result(h), blobs: blobs(), endorsements: [sign(result(h), hospital), sign(result(h, { after: hex(9) }), insurer)] })],
      ['CONTRACT_STALE', () => privateCall(h, result(h, { before: hex(4) }))],
      ['CONTRACT_STALE', () => privateCall(h, result(h, { height: h.height + 1 }))],
      ['CONTRACT_STALE', () => {
        for (let i = 0; i < RESULT_AGE_MAX + 1; i++) h.block();
        return privateCall(h, result(h, { height: h.height - RESULT_AGE_MAX }));
      }],
      ['INVALID_FIELD', () => tx(h, hospital.admin, 'private_call', { result: { ...result(h), extra: 1 }, blobs: blobs(), endorsements: [] })],
    ];
    for (const [code, run] of cases) {
      expect(run().code).toBe(code);
      expect(getPrivateRoot(h.view(), 'kv')).toEqual({ root: EMPTY_ROOT, calls: 0, height: 0 });
    }
    expect(privateCall(h, result(h, { height: h.height - RESULT_AGE_MAX + 1 })).code).toBe('OK');
  });

  it('keeps evidence of a key that signed two results for the same input, state and context; its endorsements stop counting', () => {
    const h = ledger();
    const a = result(h);
    const b = result(h, { after: hex(5) });
    const report = (x: PrivateResult, y: PrivateResult, bx = insurer, by = insurer) => tx(h, outsider.admin, 'report', { a: { result: x, endorsement: sign(x, bx) }, b: { result: y, endorsement: sign(y, by) } });
    expect(report(a, a).code).toBe('INVALID_FIELD');
    expect(report(a, b, insurer, hospital).code).toBe('INVALID_FIELD');
    expect(report(a, result(h, { input: hex(6), after: hex(5) })).code).toBe('INVALID_FIELD');
    expect(tx(h, outsider.admin, 'report', { a: { result: a, endorsement: sign(a, insurer) }, b: { result: b, endorsement: sign(a, insurer) } }).code).toBe('BAD_SIGNATURE');
    const ok = report(a, b);
    expect(ok.code).toBe('OK');
    expect(ok.events).toEqual([{ type: 'contracts.misbehaviour', attributes: { key: key(insurer), org: 'insurer-2', contract: 'kv', input: a.input } }]);
    expect(report(a, b).code).toBe('CONFLICT');
    expect(privateCall(h, result(h)).code).toBe('CONTRACT_ENDORSEMENT');
  });
});
