import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { SalusClient, Wallet } from '@salus/client';
import { SalusError, toHex } from '@salus/core';
import { SalusNode } from '../src/node.js';
import { homePaths, loadHome } from '../src/config/home.js';
import { mergeOptions } from '../src/config/options.js';
import { verifyDataDir } from '../src/ledger/verify.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { memberPayload, startTestNode, type TestNode } from './harness.js';

/**
 * A node stopped and started again on the same home continues its chain: the height goes on from
 * where it stopped, hash-linked; state, nonces and the transaction index persist; the chain verifies.
 */
let t: TestNode;
beforeAll(async () => {
  t = await startTestNode({ options: { solo: { blockIntervalMs: 2, emptyBlockIntervalMs: 40 } } });
});
afterAll(async () => {
  await t?.close();
});

const waitFor = async (cond: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect.fail(`timed out waiting for ${what}`);
};

describe('restart', () => {
  it('continues the height, the state, the nonces and the index, and the chain verifies', async () => {
    const member = Wallet.create();
    const patient = Wallet.create();
    await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, member));
    const reg = await t.client.send(patient, 'identity', 'register_patient', { encryptionKey: toHex(patient.encryptionPublicKey) });
    const third = t.admin.buildTx({ chainId: 'salus-test', nonce: 1, module: 'identity', type: 'add_member', payload: memberPayload(t.orgId, Wallet.create()) as never });
    await t.client.submit(third.bytes);
    const before = await t.client.status();
    const lastBlock = await t.client.getBlock(before.height);

    for (let round = 0; round < 2; round++) {
      t = await t.restart();
      const s = await t.client.status();
      expect(s.chainId).toBe('salus-test');
      expect(s.height).toBeGreaterThanOrEqual(before.height);
      // the stored blocks are the same ones
      expect((await t.client.getBlock(before.height)).header.hash).toBe(lastBlock.header.hash);
      // nonces continue: committed ones are remembered, the next is accepted, a replay refused
      expect(await t.client.nextNonce(t.admin.publicKeyHex)).toBe(2 + round);
      expect(await t.client.nextNonce(patient.publicKeyHex)).toBe(1);
      await expect(t.client.submit(third.bytes)).rejects.toMatchObject({ code: 'NONCE_REPLAYED' });
      const replay = t.admin.buildTx({ chainId: 'salus-test', nonce: 1, module: 'identity', type: 'add_member', payload: memberPayload(t.orgId, Wallet.create()) as never });
      await expect(t.client.submit(replay.bytes)).rejects.toMatchObject({ code: 'NONCE_REPLAYED' });
      const r = await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
      expect(r.height).toBeGreaterThan(before.height);
      // state persists and is still provable
      const key = await fetch(`${t.url}/v1/identity/keys/${member.publicKeyHex}`);
      expect(((await key.json()) as { role: string }).role).toBe('practitioner');
      const st = await t.client.verifiedState(`identity/key/${patient.publicKeyHex}`);
      expect((st.decoded as { role: string }).role).toBe('patient');
      // transactions committed before the restart are found, with proofs
      expect((await t.client.verifiedTx(reg.hash)).height).toBe(reg.height);
    }
    // the first block after the first restart links to the last one before it
    const next = await t.client.getBlock(before.height + 1);
    expect(next.header.prevHash).toBe(lastBlock.header.hash);
    await waitFor(async () => (await t.client.status()).height > before.height + 3, 'empty blocks after the restart');
    const report = (await (await fetch(`${t.url}/v1/verify`)).json()) as { ok: boolean; txs: number; height: number };
    expect(report).toMatchObject({ ok: true, txs: 5 });
  });

  it('a stopped node’s data verifies from genesis', async () => {
    const height = t.node.chain.lastHeight();
    await t.node.stop();
    const h = loadHome(t.home);
    const o = mergeOptions(h.options);
    const report = verifyDataDir(h.paths.db, { genesis: h.genesis, ed: createNativeEd25519(), chain: o.chain, state: o.state });
    expect(report).toEqual({ ok: true, height, txs: 5 });
    t = await t.restart();
    expect((await t.client.status()).height).toBeGreaterThanOrEqual(height);
  });

  it('refuses to start on a home whose genesis file changed (CONFIG), and the data stays usable', async () => {
    await t.node.stop();
    const p = homePaths(t.home);
    const original = readFileSync(p.genesis, 'utf8');
    const h = loadHome(t.home);
    writeFileSync(p.genesis, JSON.stringify({ ...h.genesis, genesisTime: h.genesis.genesisTime + 1 }));
    try {
      const changed = loadHome(t.home);
      expect(() => new SalusNode({ genesis: changed.genesis, nodeKeys: changed.nodeKeys, dataDir: p.data, dbFile: p.db, logger: pino({ level: 'silent' }) })).toThrowError(
        expect.objectContaining({ code: 'CONFIG' }),
      );
    } finally {
      writeFileSync(p.genesis, original);
    }
    t = await t.restart();
    expect((await t.client.status()).height).toBeGreaterThan(0);
  });

  it('the client reports the node’s refusals as SalusErrors with the node’s code', async () => {
    const stranger = Wallet.create();
    const { bytes } = stranger.buildTx({ chainId: 'salus-test', nonce: 0, module: 'identity', type: 'add_member', payload: memberPayload(t.orgId, Wallet.create()) as never });
    const err = await t.client.submit(bytes).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SalusError);
    expect(err).toMatchObject({ code: 'UNREGISTERED_SIGNER', meta: { status: 403 } });
    await expect(t.client.getTx('ab'.repeat(32))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.client.getBlock(10_000_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // a proof checked against validators the client trusts, and refused against others
    const r = await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, Wallet.create()));
    const h = loadHome(t.home);
    const trusted = new SalusClient({ url: t.url, trustedValidators: [{ pubKey: h.nodeKeys.signing.publicKey, power: 10 }] });
    expect((await trusted.verifiedTx(r.hash)).height).toBe(r.height);
    const misled = new SalusClient({ url: t.url, trustedValidators: [{ pubKey: Wallet.create().publicKey, power: 10 }] });
    await expect(misled.verifiedTx(r.hash)).rejects.toMatchObject({ code: 'BAD_COMMIT' });
  });
});
