import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SalusClient, Wallet } from '@salus/client';
import { generateIdentityKeys, toHex } from '@salus/core';
import { initLocalnet, localnetHome } from '../src/config/localnet.js';
import { joinHome } from '../src/config/home.js';
import { writeKeyFile } from '../src/config/keyfile.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';
import { parseGenesis } from '@salus/module';

/**
 * Governance changes the validator set of a running network: a follower becomes the fifth
 * validator at the height the change takes effect, signs commits, and is then needed for quorum.
 */
describe('a validator added by governance on a running network', () => {
  const dir = tempDir('salus-valset-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins at the effective height, signs commits, and counts towards the quorum', async () => {
    const base = await freePortRange(10);
    const newcomer = generateIdentityKeys();
    const newId = toHex(newcomer.signing.publicKey);
    const nodes = initLocalnet({ dir, validators: 4, chainId: 'salus-valset', apiPortBase: base, p2pPortBase: base + 5, config: { ...FAST, p2p: { ...FAST.p2p, allowedKeys: [newId] } } });
    for (const n of nodes) procs.push(await startNodeProcess(n.home));
    const genesis = parseGenesis(JSON.parse(readFileSync(join(localnetHome(dir, 0), 'genesis.json'), 'utf8')));
    const fHome = join(dir, 'newcomer');
    joinHome({ home: fHome, genesis, peers: nodes.map((n) => ({ id: n.nodeId, host: '127.0.0.1', port: n.p2pPort })), apiPort: base + 4, p2pPort: base + 9 });
    writeKeyFile(join(fHome, 'keys', 'node.json'), newcomer, true);
    procs.push(await startNodeProcess(fHome));
    await waitFor(async () => (await height(procs[4]!.url)) >= 2, 30_000, 'the newcomer to follow the chain');

    // Three of the four validator organisations approve; the proposer's own vote counts.
    const ed = createNativeEd25519();
    const admin = (i: number) => Wallet.import(JSON.parse(readFileSync(join(nodes[i]!.home, 'keys', `${nodes[i]!.org}-admin.json`), 'utf8')), ed);
    const client = new SalusClient({ url: procs[0]!.url, ed });
    const proposal = await client.send(admin(0), 'governance', 'propose', { action: { kind: 'set_validator', validator: { pubKey: newId, power: 10, org: nodes[0]!.org } } });
    await client.send(admin(1), 'governance', 'vote', { proposal: proposal.hash, approve: true });
    const approved = await client.send(admin(2), 'governance', 'vote', { proposal: proposal.hash, approve: true });
    const changed = approved.result.events.find((e) => e.type === 'governance.validators_changed');
    expect(changed).toBeTruthy();
    const effective = changed!.attributes.effectiveHeight as number;
    expect(effective).toBeGreaterThan(approved.height);

    // From the effective height on, five validators sign; the newcomer's signature appears in commits.
    await waitFor(async () => (await height(procs[0]!.url)) >= effective, 30_000, 'the effective height');
    const vals = await getJson<{ validators: { pubKey: string }[] }>(`${procs[0]!.url}/v1/validators?height=${effective}`);
    expect(vals.validators.map((x) => x.pubKey)).toContain(newId);
    const before = await getJson<{ validators: { pubKey: string }[] }>(`${procs[0]!.url}/v1/validators?height=${effective - 1}`);
    expect(before.validators.map((x) => x.pubKey)).not.toContain(newId);
    const signedBy = async (h: number) => (await getJson<{ commit: { signatures: { validator: string }[] } }>(`${procs[0]!.url}/v1/blocks/${h}`)).commit.signatures.map((s) => s.validator);
    await waitFor(async () => {
      const top = await height(procs[0]!.url);
      for (let h = effective; h <= top; h++) if ((await signedBy(h)).includes(newId)) return true;
      return false;
    }, 30_000, 'a commit signed by the new validator');
    const st = await getJson<{ consensus: { isValidator: boolean } }>(`${procs[4]!.url}/v1/status`);
    expect(st.consensus.isValidator).toBe(true);

    // With five validators of equal power a quorum is four: one original down, the newcomer is needed and suffices.
    await stopProcess(procs[3]!, 'SIGKILL');
    const h0 = await height(procs[0]!.url);
    await waitFor(async () => (await height(procs[0]!.url)) >= h0 + 3, 30_000, 'commits with node 3 down and the newcomer voting');
    const top = await height(procs[0]!.url);
    expect(await signedBy(top)).toContain(newId);
  }, 180_000);
});
