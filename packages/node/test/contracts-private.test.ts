import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractsClient, PrivateContractsClient, SalusClient, Wallet, privateInputAad, sealPrivateInput, verifyPrivateValue, type EndorsedResult } from '@salus/client';
import { encode, fromHex, randomBytes, sha256, signObject, toHex, type Canonical } from '@salus/core';
import { bundleContract, resultBody } from '@salus/contracts';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { readKeyFile } from '../src/config/keyfile.js';
import type { SalusError } from '@salus/core';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, filesContaining, freePortRange, getJson, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';

/**
 * Private contracts on four validator processes (ADR 0009): a claim carrying diagnosis codes and
 * a unique marker is encrypted to the payer and the provider, run and signed on their two nodes,
 * committed with the endorsements; the ledger keeps the new private-state root; a party proves a
 * private value to the other against it; a stale result, a missing endorsement, a non-party node and
 * a public call are refused with typed errors; a party node that was down replays what it missed
 * from the encrypted input; two different results signed by one key are evidence on the ledger. The
 * marker is in no byte of a non-party node's files, which hold every block.
 */
const ed = createNativeEd25519();
const MARKER = `PRIVATE-MARKER-${toHex(randomBytes(8))}`;
const code = await bundleContract({ source: readFileSync(new URL('../../../contracts/coverage/coverage.ts', import.meta.url), 'utf8'), fileName: 'coverage.ts' });
const manifest = (name: string, endorse: number) => ({
  name,
  version: '1',
  methods: { submit: { kind: 'call' }, claim: { kind: 'query' }, owed: { kind: 'query' } },
  upgrade: { policy: 'owner' },
  private: { parties: ['hospital-1', 'insurer-2'], endorse },
});

const containing = filesContaining;

const claim = (id: string) => ({
  id,
  patient: `Patient/${MARKER}`,
  lines: [
    { code: '99213', diagnosis: ['J20.9'], amount: 12_000 },
    { code: '15780', diagnosis: ['Z41.1'], amount: 300_000 },
  ],
  // a claims-sized input: about 10 KB
  notes: `${MARKER} ${'clinical note '.repeat(700)}`,
});

describe('private contracts on a 4-validator network', () => {
  const dir = tempDir('salus-private-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('endorses on the parties, commits roots, proves values, refuses bad calls, replays missed calls, keeps evidence, and leaks nothing to other nodes', async () => {
    const base = await freePortRange(10);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-private-net', apiPortBase: base, p2pPortBase: base + 5, config: FAST });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((h) => h >= 2), 30_000, 'all four nodes to commit');
    const admin = (i: number) => Wallet.import(JSON.parse(readFileSync(join(localnetHome(dir, i), 'keys', `${nodes[i]!.org}-admin.json`), 'utf8')), ed);
    const hospital = admin(0);
    const insurer = admin(1);
    const api = (i: number) => new SalusClient({ url: procs[i]!.url, ed });
    const both = { 'hospital-1': procs[0]!.url, 'insurer-2': procs[1]!.url };

    const contracts = new ContractsClient(api(1), insurer);
    const { codeHash } = await contracts.deploy(code.code);
    const made = await contracts.instantiate('coverage', codeHash, manifest('coverage', 2));
    // the clients below read the instance through node 2: let it commit the instantiation first
    await waitFor(async () => (await height(procs[2]!.url)) >= made.height, 20_000, 'node 2 to commit the instance');
    const asHospital = new PrivateContractsClient(api(2), hospital, both);

    // a call endorsed by both parties commits; the ledger holds its root and public outputs only
    const first = await asHospital.call('coverage', 'submit', claim('c-1') as unknown as Canonical);
    expect(first.value).toEqual({ claim: 'c-1', payable: 12_000 });
    // the state after the call's block is provable once the next header commits to it
    await waitFor(async () => (await height(procs[3]!.url)) > first.receipt.height, 20_000, 'the next block');
    const root = await api(3).verifiedState('contracts/private/coverage');
    expect(root.decoded).toMatchObject({ root: first.result.after, calls: 1 });
    const tx = await getJson<{ result: { events: { type: string; attributes: Record<string, unknown> }[] } }>(`${procs[3]!.url}/v1/txs/${first.receipt.hash}`);
    expect(tx.result.events.map((e) => e.type)).toEqual(['contracts.event', 'contracts.private_called']);

    // the parties read the claim privately; a party proves a private value to the other
    const asInsurer = new PrivateContractsClient(api(1), insurer, both);
    const seen = await asInsurer.query<{ notes: string; payable: number }>('coverage', 'claim', { id: 'c-1' }, 'insurer-2');
    expect(seen.value.payable).toBe(12_000);
    expect(seen.value.notes.startsWith(MARKER)).toBe(true);
    const proof = await asHospital.prove('coverage', `owed/${hospital.publicKeyHex}`, 'hospital-1');
    expect(proof.decoded).toBe(12_000);
    verifyPrivateValue(api(3), proof);
    expect(() => verifyPrivateValue(api(3), { ...proof, value: toHex(encode(999_999)) })).toThrow(/does not verify/);

    // refusals: a non-party node, a public call, a stranger's query, a result with one endorsement, a stale result
    const sealed = await sealPrivateInput({ method: 'submit', args: claim('c-x') as unknown as Canonical, gas: 5_000_000, salt: randomBytes(16) }, await partyKeys(api(0)), privateInputAad('salus-private-net', 'coverage'));
    const body = encode({ height: (await api(0).status()).height - 1, content: sealed.content, envelopes: sealed.envelopes.map((e) => ({ org: e.org, blob: e.blob })) });
    expect(await endorse(api(2), hospital, 'coverage', body).catch((e: SalusError) => e.code)).toBe('CONTRACT_FORBIDDEN');
    expect(await new ContractsClient(api(0), hospital).call('coverage', 'submit', claim('c-y') as unknown as Canonical).catch((e: SalusError) => e.code)).toBe('CONTRACT_FORBIDDEN');
    expect(await new PrivateContractsClient(api(2), admin(2), both).query('coverage', 'owed', { provider: hospital.publicKeyHex }).catch((e: SalusError) => e.code)).toBe('CONTRACT_FORBIDDEN');
    // bad endorse requests: typed errors, and the node keeps serving
    const status = async (path: string, init: RequestInit) => {
      const r = await fetch(`${procs[0]!.url}${path}`, init);
      return [r.status, ((await r.json()) as { error?: { code: string } }).error?.code];
    };
    const endorsePath = '/v1/contracts/coverage/private/endorse';
    expect(await status(endorsePath, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: body as unknown as BodyInit })).toEqual([401, 'BAD_SIGNATURE']);
    const garbage = new Uint8Array([0xff, 0x00, 0x13]);
    expect(await endorse(api(0), hospital, 'coverage', garbage).catch((e: SalusError) => e.code)).toBe('MALFORMED_ENCODING');
    const oneEnvelope = encode({ height: 1, content: sealed.content, envelopes: [{ org: 'hospital-1', blob: sealed.envelopes[0]!.blob }] });
    expect(await endorse(api(0), hospital, 'coverage', oneEnvelope).catch((e: SalusError) => e.code)).toBe('INVALID_FIELD');
    const tampered = sealed.content.slice();
    tampered[tampered.length - 1]! ^= 1;
    const bad = encode({ height: (await api(0).status()).height - 1, content: tampered, envelopes: sealed.envelopes.map((e) => ({ org: e.org, blob: e.blob })) });
    expect(await endorse(api(0), hospital, 'coverage', bad).catch((e: SalusError) => e.code)).toBe('DECRYPTION_FAILED');
    expect(await endorse(api(0), hospital, 'no-such', body).catch((e: SalusError) => e.code)).toBe('CONTRACT_NOT_FOUND');
    const a = await endorse(api(0), hospital, 'coverage', body);
    const b = await endorse(api(1), hospital, 'coverage', body);
    expect(b.result).toEqual(a.result);
    const one = await api(0).send(hospital, 'contracts', 'private_call', { result: a.result, blobs: a.blobs, endorsements: [a.endorsement] } as unknown as Canonical).catch((e: SalusError) => e.code);
    expect(one).toBe('CONTRACT_ENDORSEMENT');
    await asHospital.call('coverage', 'submit', claim('c-2') as unknown as Canonical);
    const stale = await api(0).send(hospital, 'contracts', 'private_call', { result: a.result, blobs: a.blobs, endorsements: [a.endorsement, b.endorsement] } as unknown as Canonical).catch((e: SalusError) => e.code);
    expect(stale).toBe('CONTRACT_STALE');
    // two calls on one root at once: the client endorses the one that lost again
    const [x, y] = await Promise.all([asHospital.call('coverage', 'submit', claim('c-3') as unknown as Canonical), asHospital.call('coverage', 'submit', claim('c-4') as unknown as Canonical)]);
    expect([x.value, y.value]).toEqual([{ claim: 'c-3', payable: 12_000 }, { claim: 'c-4', payable: 12_000 }]);
    expect((await asInsurer.query('coverage', 'owed', { provider: hospital.publicKeyHex }, 'insurer-2')).value).toBe(48_000);

    // a party's node that was down replays the calls it missed from the encrypted input (fetched from the other party)
    const solo = await contracts.instantiate('coverage-solo', codeHash, manifest('coverage-solo', 1));
    await waitFor(async () => (await height(procs[2]!.url)) >= solo.height, 20_000, 'node 2 to commit the instance');
    await stopProcess(procs[1]!);
    const onlyHospital = new PrivateContractsClient(api(2), hospital, { 'hospital-1': procs[0]!.url });
    await onlyHospital.call('coverage-solo', 'submit', claim('s-1') as unknown as Canonical);
    await onlyHospital.call('coverage-solo', 'submit', claim('s-2') as unknown as Canonical);
    procs[1] = await startNodeProcess(nodes[1]!.home);
    const insurerAgain = new PrivateContractsClient(api(1), insurer, { 'insurer-2': procs[1]!.url });
    await waitFor(async () => (await insurerAgain.query('coverage-solo', 'owed', { provider: hospital.publicKeyHex }).then((r) => r.value, () => -1)) === 24_000, 30_000, 'the insurer node to replay the missed calls');

    // one key signing two different results for the same input and state is evidence; its endorsements stop counting
    const lie: EndorsedResult = { ...a.result, after: toHex(sha256(new Uint8Array([1]))) };
    const sign = (r: EndorsedResult) => ({ key: insurer.publicKeyHex, sig: toHex(signObject(ed, insurerSecret(dir, nodes[1]!.org), 'endorsement', 'salus-private-net', resultBody(r))) });
    const reported = await api(3).send(admin(3), 'contracts', 'report', { a: { result: a.result, endorsement: sign(a.result as EndorsedResult) }, b: { result: lie, endorsement: sign(lie) } } as unknown as Canonical);
    await waitFor(async () => (await height(procs[3]!.url)) > reported.height, 20_000, 'the next block');
    expect((await api(3).verifiedState(`contracts/misbehaviour/${insurer.publicKeyHex}/coverage:${a.result.input}`)).decoded).toMatchObject({ org: 'insurer-2' });
    expect(await asHospital.call('coverage', 'submit', claim('c-5') as unknown as Canonical, { attempts: 1 }).catch((e: SalusError) => e.code)).toBe('CONTRACT_ENDORSEMENT');

    // every node agrees, and no byte of the marker is on a node that is not a party (each holds every block)
    const h = Math.max(...(await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))));
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((v) => v >= h + 1), 30_000, 'all nodes to commit');
    const hashes = await Promise.all([0, 1, 2, 3].map(async (i) => (await getJson<{ header: { appHash: string } }>(`${procs[i]!.url}/v1/blocks/${h}`)).header.appHash));
    expect(new Set(hashes).size).toBe(1);
    for (const i of [2, 3]) expect(containing(localnetHome(dir, i), MARKER)).toEqual([]);
    // the scan finds it where it is meant to be: in a party's private state
    expect(containing(join(localnetHome(dir, 0), 'data'), MARKER).some((f) => f.includes('private.sqlite'))).toBe(true);
  });
});

interface Answer {
  result: EndorsedResult & Canonical;
  endorsement: { key: string; sig: string };
  blobs: { content: string; envelopes: { org: string; blob: string }[] };
}

async function partyKeys(c: SalusClient) {
  return Promise.all(['hospital-1', 'insurer-2'].map(async (org) => ({ org, encryptionKey: fromHex((await c.request<{ encryptionKey: string }>('GET', `/v1/identity/orgs/${org}`)).encryptionKey, 32) })));
}

async function endorse(c: SalusClient, w: Wallet, contract: string, body: Uint8Array): Promise<Answer> {
  const { nodeId, chainId } = await c.status();
  const path = `/v1/contracts/${contract}/private/endorse`;
  const authorization = w.authorization(chainId, { method: 'POST', path, purpose: 'contract', bodyHash: toHex(sha256(body)), aud: nodeId });
  return c.request<Answer>('POST', path, { cbor: body, headers: { authorization } });
}

function insurerSecret(dir: string, org: string): Uint8Array {
  return readKeyFile(join(localnetHome(dir, 1), 'keys', `${org}-admin.json`)).signing.secretKey;
}

