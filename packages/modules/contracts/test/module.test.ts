import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { createModuleHarness, type ModuleHarness, type TxResult } from '@salus/module';
import { identityModule } from '@salus/identity';
import { bundleContract, contractsModule, contractCodeHash, getCode, getInstance } from '../src/index.js';

/**
 * The contracts module through the real module manager (in-process harness, real signed
 * transactions, identity authenticating signers): deploy, instantiate, call, limits, upgrade
 * policies, consortium approval, reads of other modules' state and atomic nested calls.
 */
const SDK = `import { state, emit, ctx, call, fail, readLedger } from '@salus/contracts/sdk';\n`;
const COUNTER = `${SDK}
export function init(a: { start: number }) { state.set('total', a?.start ?? 0); }
export function add(a: { by: number }) {
  const t = (state.get<number>('total') ?? 0) + a.by;
  if (t > 1000) fail('LIMIT', 'past 1000');
  state.set('total', t);
  emit('added', { by: a.by, total: t, height: ctx().height });
  return t;
}
export function total() { return state.get('total'); }
export function writeThenSpin() { state.set('total', -1); while (true) {} }
export function writeThenBoom() { state.set('total', -1); throw new Error('boom'); }
export function deep(): number { const f = (n: number): number => f(n + 1) + 1; return f(0); }
export function hog() { return new ArrayBuffer(1 << 30).byteLength; }
export function addVia(a: { other: string; by: number }) { state.set('via', a.by); return call(a.other, 'add', { by: a.by }); }
export function readOrg(a: { key: string }) { return readLedger(a.key) ?? null; }
`;

const manifest = (o: Record<string, unknown> = {}) => ({
  name: 'counter',
  version: '1.0.0',
  methods: {
    add: { kind: 'call' },
    total: { kind: 'query' },
    writeThenSpin: { kind: 'call' },
    writeThenBoom: { kind: 'call' },
    deep: { kind: 'call' },
    hog: { kind: 'call' },
    addVia: { kind: 'call' },
    readOrg: { kind: 'call' },
  },
  upgrade: { policy: 'owner' },
  ...o,
});

interface Org {
  readonly id: string;
  readonly kind: string;
  readonly admin: IdentityKeys;
}

describe('the contracts module', () => {
  let code: string;
  let hash: string;
  const orgs: Org[] = [
    { id: 'hospital-1', kind: 'hospital', admin: generateIdentityKeys() },
    { id: 'insurer-2', kind: 'insurer', admin: generateIdentityKeys() },
    { id: 'hospital-3', kind: 'hospital', admin: generateIdentityKeys() },
  ];
  const [hospital, insurer, other] = orgs as [Org, Org, Org];

  beforeAll(async () => {
    code = (await bundleContract({ source: COUNTER, fileName: 'counter.ts' })).code;
    hash = contractCodeHash(code);
  });

  function ledger(): ModuleHarness {
    return createModuleHarness({
      modules: [identityModule, contractsModule],
      genesis: {
        chainId: 'salus-contracts-test',
        genesisTime: 1_700_000_000_000,
        organisations: orgs.map((o) => ({ id: o.id, name: o.id, kind: o.kind, adminKey: toHex(o.admin.signing.publicKey), encryptionKey: toHex(o.admin.encryption.publicKey) })),
        validators: [{ pubKey: toHex(generateIdentityKeys().signing.publicKey), power: 10, org: 'hospital-1' }],
      },
    });
  }
  const tx = (h: ModuleHarness, signer: IdentityKeys, type: string, payload: Record<string, unknown>): TxResult => h.exec({ signer, module: 'contracts', type, payload: payload as Canonical });
  const data = (h: ModuleHarness, name: string) => h.keys(`contracts/data/${name}/`).map((k) => [k.slice(`contracts/data/${name}/`.length), h.view().get(k)]);

  function deployed(): ModuleHarness {
    const h = ledger();
    expect(tx(h, hospital.admin, 'deploy', { code }).code).toBe('OK');
    expect(tx(h, hospital.admin, 'instantiate', { name: 'counter', codeHash: hash, manifest: manifest(), args: { start: 5 } })).toMatchObject({ code: 'OK' });
    return h;
  }

  it('stores code once by its hash, with the methods the deterministic check found', () => {
    const h = ledger();
    const r = tx(h, hospital.admin, 'deploy', { code });
    expect(r.events[0]).toEqual({ type: 'contracts.deployed', attributes: { codeHash: hash, size: new TextEncoder().encode(code).length } });
    expect(getCode(h.view(), hash)?.exports).toEqual(expect.arrayContaining(['add', 'init', 'total', 'writeThenSpin']));
    expect(tx(h, insurer.admin, 'deploy', { code })).toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses at deploy code that uses a forbidden global or import, or does not parse, writing nothing', () => {
    const h = ledger();
    for (const bad of ['export function f() { return Date.now(); }', 'import fs from "node:fs"; export function f() { return 1; }', 'export function f( {']) {
      const r = tx(h, hospital.admin, 'deploy', { code: bad });
      expect(r.code, bad).toBe('CONTRACT_INVALID');
    }
    expect(h.keys('contracts/')).toEqual([]);
  });

  it('instantiates with init, then calls: result, events and gas in the transaction result, state in its namespace', () => {
    const h = deployed();
    expect(getInstance(h.view(), 'counter')).toMatchObject({ codeHash: hash, status: 'active', owner: toHex(hospital.admin.signing.publicKey), ownerOrg: 'hospital-1' });
    const r = tx(h, insurer.admin, 'call', { contract: 'counter', method: 'add', args: { by: 7 }, gas: 1_000_000 });
    expect(r.code).toBe('OK');
    expect(r.gasUsed).toBeGreaterThan(0);
    expect(r.events).toEqual([
      { type: 'contracts.event', attributes: { contract: 'counter', event: 'added', data: { by: 7, total: 12, height: h.height } } },
      { type: 'contracts.called', attributes: { contract: 'counter', method: 'add', result: 12 } },
    ]);
    expect(data(h, 'counter')).toEqual([['total', 12]]);
  });

  it('gives unknown contracts and methods, queries sent as calls, role rules and bad manifests a typed error', () => {
    const h = deployed();
    const call = (payload: Record<string, unknown>, signer = hospital.admin) => tx(h, signer, 'call', { args: null, gas: 100_000, ...payload }).code;
    expect(call({ contract: 'nope', method: 'add' })).toBe('CONTRACT_NOT_FOUND');
    expect(call({ contract: 'counter', method: 'subtract' })).toBe('CONTRACT_NOT_FOUND');
    expect(call({ contract: 'counter', method: 'total' })).toBe('INVALID_FIELD');
    expect(call({ contract: 'counter', method: 'add', args: null })).toBe('CONTRACT_FAILED');
    expect(tx(h, hospital.admin, 'call', { contract: 'counter', method: 'add', args: null, gas: 0 }).code).toBe('INVALID_FIELD');
    expect(tx(h, hospital.admin, 'instantiate', { name: 'counter', codeHash: hash, manifest: manifest() }).code).toBe('CONFLICT');
    expect(tx(h, hospital.admin, 'instantiate', { name: 'c2', codeHash: hash, manifest: manifest({ methods: { nothere: { kind: 'call' } } }) }).code).toBe('CONTRACT_INVALID');
    expect(tx(h, hospital.admin, 'instantiate', { name: 'c3', codeHash: hash, manifest: manifest({ upgrade: { policy: 'orgs', orgs: ['no-such-org'] } }) }).code).toBe('NOT_FOUND');
    const insurersOnly = manifest({ methods: { add: { kind: 'call', roles: ['insurer'] } } });
    expect(tx(h, hospital.admin, 'instantiate', { name: 'paid', codeHash: hash, manifest: insurersOnly, args: { start: 0 } }).code).toBe('OK');
    expect(call({ contract: 'paid', method: 'add', args: { by: 1 } })).toBe('CONTRACT_FORBIDDEN');
    expect(call({ contract: 'paid', method: 'add', args: { by: 1 } }, insurer.admin)).toBe('OK');
    expect(data(h, 'counter')).toEqual([['total', 5]]);
  });

  it('out of gas, a deep recursion, a memory hog and a thrown exception each fail with their code, keep no write, and the next call works', () => {
    const h = deployed();
    const signer = toHex(hospital.admin.signing.publicKey);
    const nonce = () => h.app.nextNonce(h.view(), signer);
    const cases: [string, string][] = [
      ['writeThenSpin', 'OUT_OF_GAS'],
      ['deep', 'CONTRACT_STACK'],
      ['hog', 'CONTRACT_MEMORY'],
      ['writeThenBoom', 'CONTRACT_FAILED'],
    ];
    for (const [method, code] of cases) {
      const before = nonce();
      const r = tx(h, hospital.admin, 'call', { contract: 'counter', method, args: null, gas: 2_000_000 });
      expect(r.code, method).toBe(code);
      expect(r.gasUsed, method).toBeGreaterThan(0);
      if (code === 'OUT_OF_GAS') expect(r.gasUsed).toBe(2_000_000);
      expect(r.events).toEqual([]);
      expect(nonce()).toBe(before + 1);
      expect(data(h, 'counter')).toEqual([['total', 5]]);
    }
    expect(tx(h, hospital.admin, 'call', { contract: 'counter', method: 'add', args: { by: 1 }, gas: 1_000_000 }).code).toBe('OK');
  });

  it('a nested call is atomic: when the callee fails, neither contract keeps a write', () => {
    const h = deployed();
    expect(tx(h, hospital.admin, 'instantiate', { name: 'front', codeHash: hash, manifest: manifest(), args: { start: 0 } }).code).toBe('OK');
    const ok = tx(h, hospital.admin, 'call', { contract: 'front', method: 'addVia', args: { other: 'counter', by: 3 }, gas: 2_000_000 });
    expect(ok.code).toBe('OK');
    expect(data(h, 'counter')).toEqual([['total', 8]]);
    expect(data(h, 'front')).toEqual([['total', 0], ['via', 3]]);
    const failed = tx(h, hospital.admin, 'call', { contract: 'front', method: 'addVia', args: { other: 'counter', by: 5000 }, gas: 2_000_000 });
    expect(failed).toMatchObject({ code: 'CONTRACT_FAILED', events: [] });
    expect(data(h, 'counter')).toEqual([['total', 8]]);
    expect(data(h, 'front')).toEqual([['total', 0], ['via', 3]]);
  });

  it('the owner upgrades (old code stays on the ledger) and freezes; others may not; an immutable contract never changes code', () => {
    const h = deployed();
    const v2 = `${code}\n// v2\n`;
    expect(tx(h, hospital.admin, 'deploy', { code: v2 }).code).toBe('OK');
    const v2hash = contractCodeHash(v2);
    expect(tx(h, insurer.admin, 'upgrade', { contract: 'counter', codeHash: v2hash, manifest: manifest({ version: '2.0.0' }) }).code).toBe('CONTRACT_FORBIDDEN');
    expect(tx(h, hospital.admin, 'upgrade', { contract: 'counter', codeHash: v2hash, manifest: manifest({ version: '2.0.0' }) }).code).toBe('OK');
    const inst = getInstance(h.view(), 'counter')!;
    expect(inst.codeHash).toBe(v2hash);
    expect(inst.history.map((x) => x.version)).toEqual(['1.0.0', '2.0.0']);
    expect(getCode(h.view(), hash)).toBeDefined();
    expect(data(h, 'counter')).toEqual([['total', 5]]);
    expect(tx(h, hospital.admin, 'freeze', { contract: 'counter' }).code).toBe('OK');
    expect(tx(h, hospital.admin, 'call', { contract: 'counter', method: 'add', args: { by: 1 }, gas: 100_000 }).code).toBe('CONTRACT_FORBIDDEN');
    expect(tx(h, hospital.admin, 'instantiate', { name: 'fixed', codeHash: hash, manifest: manifest({ upgrade: { policy: 'immutable' } }) }).code).toBe('OK');
    expect(tx(h, hospital.admin, 'upgrade', { contract: 'fixed', codeHash: v2hash, manifest: manifest({ upgrade: { policy: 'immutable' } }) }).code).toBe('CONTRACT_FORBIDDEN');
  });

  it("a consortium contract waits for every named organisation's approval, reads only the state its manifest declares, and upgrades by proposal", () => {
    const h = ledger();
    tx(h, hospital.admin, 'deploy', { code });
    const policy = { upgrade: { policy: 'orgs', orgs: ['hospital-1', 'insurer-2'] }, reads: ['identity/org/'] };
    const created = tx(h, hospital.admin, 'instantiate', { name: 'shared', codeHash: hash, manifest: manifest(policy), args: { start: 0 } });
    expect(created.code).toBe('OK');
    const proposal = created.events.find((e) => e.type === 'contracts.proposed')!.attributes.proposal as string;
    expect(getInstance(h.view(), 'shared')!.status).toBe('pending');
    const readOrg = (key: string) => tx(h, other.admin, 'call', { contract: 'shared', method: 'readOrg', args: { key }, gas: 1_000_000 });
    expect(readOrg('identity/org/insurer-2').code).toBe('CONTRACT_FORBIDDEN');
    expect(tx(h, other.admin, 'approve', { proposal }).code).toBe('CONTRACT_FORBIDDEN');
    expect(tx(h, hospital.admin, 'approve', { proposal }).code).toBe('CONFLICT');
    expect(tx(h, insurer.admin, 'approve', { proposal }).events.map((e) => e.type)).toEqual(['contracts.approved', 'contracts.activated']);
    expect(readOrg('identity/org/insurer-2').events.at(-1)!.attributes.result).toMatchObject({ id: 'insurer-2', kind: 'insurer' });
    expect(readOrg(`identity/key/${toHex(other.admin.signing.publicKey)}`).code).toBe('CONTRACT_FORBIDDEN');
    const v2 = `${code}\n// v2\n`;
    tx(h, hospital.admin, 'deploy', { code: v2 });
    const up = tx(h, insurer.admin, 'upgrade', { contract: 'shared', codeHash: contractCodeHash(v2), manifest: manifest({ ...policy, version: '2.0.0' }) });
    expect(getInstance(h.view(), 'shared')!.codeHash).toBe(hash);
    const p2 = up.events.find((e) => e.type === 'contracts.proposed')!.attributes.proposal as string;
    expect(tx(h, hospital.admin, 'approve', { proposal: p2 }).code).toBe('OK');
    expect(getInstance(h.view(), 'shared')!.codeHash).toBe(contractCodeHash(v2));
  });
});
