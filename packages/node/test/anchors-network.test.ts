import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnchorsClient, SalusClient, Wallet } from '@salus/client';
import { fromHex, sha256, toHex } from '@salus/core';
import { parseGenesis } from '@salus/module';
import { answeredKey } from '@salus/anchors';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';

/**
 * Layer 2 anchoring on four validator processes over real sockets: devices of two organisations
 * submit items to their organisations' nodes (CBOR and JSON), each node batches what it took and
 * anchors the root in one transaction; the SDK, trusting only the genesis validators, verifies each
 * item's proof from the commit signatures down to the item, through any node for the ledger's part;
 * a forged proof is caught; a report against the honest node is refused and its challenge answered
 * by the node itself.
 */
const ed = createNativeEd25519();

describe('anchoring on a 4-validator network', () => {
  const dir = tempDir('salus-anchors-net-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('anchors items on two nodes and proves them to a light client that trusts only genesis', async () => {
    const base = await freePortRange(10);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-anchors-net', apiPortBase: base, p2pPortBase: base + 5, config: FAST });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(procs[i]!.url)))).every((h) => h >= 2), 30_000, 'all four nodes to commit');
    const genesis = parseGenesis(JSON.parse(readFileSync(join(localnetHome(dir, 0), 'genesis.json'), 'utf8')));
    // in the chain's order (by public key), which the header's validator-set hash is over
    const trustedValidators = [...genesis.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1)).map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
    const api = (i: number) => new SalusClient({ url: procs[i]!.url, ed, trustedValidators });
    const admin = (i: number) => Wallet.import(JSON.parse(readFileSync(join(localnetHome(dir, i), 'keys', `${nodes[i]!.org}-admin.json`), 'utf8')), ed);

    // a device of each of the first two organisations, anchoring through its organisation's node
    const devices = [Wallet.create(ed), Wallet.create(ed)];
    for (const i of [0, 1]) {
      const w = devices[i]!;
      await api(i).send(admin(i), 'identity', 'add_member', { org: nodes[i]!.org, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role: 'device', name: `Device ${i}` });
    }
    const at = (i: number) => new AnchorsClient(api(i), devices[i]);
    await waitFor(async () => (await height(procs[1]!.url)) >= (await height(procs[0]!.url)) - 1, 10_000, 'node 1 to catch up');
    const inputs = (tag: string, n: number) => Array.from({ length: n }, (_, k) => ({ kind: 'reading', payload: sha256(new TextEncoder().encode(`${tag}-${k}`)) }));
    const [big, small] = await Promise.all([at(0).anchor(inputs('a', 500)), at(1).anchor(inputs('b', 3), { format: 'json' })]);
    expect(big.receipts).toHaveLength(500);
    expect(big.anchorer).toBe(admin(0).publicKeyHex);
    expect(small.anchorer).toBe(admin(1).publicKeyHex);

    // proofs from the node that took each item, verified against the genesis validators
    const p0 = await at(0).proof(big.receipts[417]!.item, { waitMs: 30_000 });
    const p1 = await at(1).proof(small.receipts[2]!.item, { waitMs: 30_000 });
    expect(p0.verified).toMatchObject({ anchorer: big.anchorer, batch: big.batch, submitter: devices[0]!.publicKeyHex, record: { count: 500, org: nodes[0]!.org } });
    expect(p1.verified).toMatchObject({ anchorer: small.anchorer, record: { count: 3, org: nodes[1]!.org } });
    expect(p0.verified.record.height).toBeLessThanOrEqual(big.deadline);
    // any node proves the batch record; a third party verifies a proof it was handed
    const viaNode3 = new AnchorsClient(api(3));
    // (node 3 proves the state one block behind its tip, which may be behind node 0's)
    await waitFor(async () => (await viaNode3.batch(big.anchorer, big.batch)).record !== null, 10_000, 'node 3 to prove the batch');
    expect((await viaNode3.batch(big.anchorer, big.batch)).record?.root).toBe(p0.verified.record.root);
    const { verified: _v, ...handed } = p0;
    expect(viaNode3.verify(JSON.parse(JSON.stringify(handed)))).toMatchObject({ hash: big.receipts[417]!.item });
    expect(() => viaNode3.verify({ ...handed, path: [...handed.path].reverse() })).toThrow(expect.objectContaining({ code: 'BAD_PROOF' }));

    // the honest node: a report is refused, a challenge is answered by the node itself
    const r = big.receipts[3]!;
    expect((await at(0).evidence(r)).kind).toBe('kept');
    await expect(at(0).report(r)).rejects.toMatchObject({ code: 'ANCHOR_KEPT' });
    const challenged = await at(0).challenge(r);
    expect(challenged.result.events[0]?.type).toBe('anchors.challenged');
    const answered = `${procs[2]!.url}/v1/state?key=${encodeURIComponent(answeredKey(big.anchorer, big.batch, r.item))}`;
    await waitFor(async () => (await getJson<{ value: string | null }>(answered)).value !== null, 20_000, 'the node to answer the challenge');
    expect(await getJson(`${procs[2]!.url}/v1/anchors/challenges/${big.anchorer}`)).toEqual({ challenges: [] });
    expect((await at(0).misbehaviour(big.anchorer)).records).toEqual([]);
  });
});
