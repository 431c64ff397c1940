import { afterEach, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { generateIdentityKeys, headerHash, toHex } from '@salus/core';
import { systemClock } from '@salus/consensus';
import { openDb } from '../src/storage/db.js';
import { StateStore } from '../src/state/store.js';
import { BlockStore } from '../src/ledger/blockstore.js';
import { Chain } from '../src/ledger/chain.js';
import { createApplication } from '../src/app/modules.js';
import { mergeOptions } from '../src/config/options.js';
import { verifyDb } from '../src/ledger/verify.js';
import { CH, SNAPSHOT_MESSAGE_BYTES_MAX, nodeChannels } from '../src/consensus/channels.js';
import { SnapshotServer } from '../src/statesync/server.js';
import { StateSyncRestore, restoreInterrupted } from '../src/statesync/restore.js';
import { SalusNode } from '../src/node.js';
import { tempDir } from './harness.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateSyncOptions } from '../src/statesync/options.js';
import { decodeSnapshotMessage, encodeSnapshotMessage } from '../src/statesync/wire.js';
import { createLedger, ed, type Ledger } from './ledger-harness.js';
import { Teardown, makePeer, until, type TestPeer } from './fixtures/p2p-helpers.js';

const td = new Teardown();
afterEach(() => td.run());

const CHANNELS = nodeChannels(mergeOptions().bft.tendermint.blockBytesMax);

/** A ledger of `blocks` blocks, two patients registered in each. */
function ledgerWith(blocks: number): Ledger {
  const l = createLedger({ orgs: 4 });
  td.add(() => l.close());
  for (let h = 0; h < blocks; h++) {
    const ps = [Wallet.create(ed), Wallet.create(ed)];
    l.block(...ps.map((p) => ({ signer: p, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(p.encryptionPublicKey) } })));
  }
  return l;
}

function server(l: Ledger, peer: TestPeer, chunkBytesMax: number): SnapshotServer {
  return new SnapshotServer(
    { intervalBlocks: 10, kept: 2, chunkBytesMax, keepVersions: 100, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX },
    { chain: l.chain, blocks: l.blocks, state: l.state, p2p: peer.p2p, log: peer.logs.logger },
  );
}

function serve(l: Ledger, peer: TestPeer, chunkBytesMax: number): SnapshotServer {
  const s = server(l, peer, chunkBytesMax);
  s.start();
  td.add(() => s.stop());
  return s;
}

/**
 * A peer that answers like an honest server except for chunks, whose entries it alters (and whose
 * splits it swaps): what a restoring node must catch on the first answer.
 */
function serveForged(honest: SnapshotServer, peer: TestPeer): void {
  peer.p2p.onMessage((from, ch, bytes) => {
    if (ch !== CH.snapshot) return;
    const answer = honest.answer(decodeSnapshotMessage(bytes, SNAPSHOT_MESSAGE_BYTES_MAX));
    if (!answer) return;
    const forged =
      answer.t === 'chunk'
        ? { ...answer, pieces: answer.pieces.map((p) => ('split' in p ? { split: [p.split[1], p.split[0]] as const } : { entries: p.entries.map((e, i) => (i === 0 ? { ...e, value: Uint8Array.of(1, 2, 3) } : e)) })) }
        : answer;
    peer.p2p.send(from, CH.snapshot, encodeSnapshotMessage(forged));
  });
}

describe('state sync between peers on loopback', () => {
  it('restores from honest peers in bounded chunks, and drops a peer whose chunk does not verify', async () => {
    const l = ledgerWith(60);
    const honestA = makePeer(td, { channels: CHANNELS });
    const honestB = makePeer(td, { channels: CHANNELS });
    const liar = makePeer(td, { channels: CHANNELS });
    const joiner = makePeer(td, { channels: CHANNELS });
    const servers = [honestA, honestB].map((p) => serve(l, p, 4096));
    serveForged(server(l, liar, 4096), liar);
    const all = [honestA, honestB, liar, joiner];
    for (const p of all) p.p2p.setAllowedKeys(all.filter((q) => q !== p).map((q) => q.id));
    for (const p of all) await p.p2p.start();
    for (const p of [honestA, honestB, liar]) joiner.p2p.addPeer({ id: p.id, host: '127.0.0.1', port: p.port() });
    await until(() => joiner.p2p.connectedPeers().length === 3, 'the joiner linked to three peers');
    expect(servers[0]!.offers()).toEqual([60, 50]);

    const trustHeight = 54;
    const db = openDb(':memory:', { memory: true });
    td.add(() => db.close());
    const restore = new StateSyncRestore({ ...defaultStateSyncOptions, discoveryMs: 200, requestTimeoutMs: 5_000 }, { db, genesis: l.genesis, ed, p2p: joiner.p2p, clock: systemClock, log: joiner.logs.logger, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX });
    const report = await restore.run({ height: trustHeight, hash: headerHash(l.blocks.requireBlock(trustHeight).header) });
    expect(report.height).toBe(50);
    expect(report.chunks).toBeGreaterThan(10);

    // the liar was caught by its chunk, penalised and asked no more
    expect(joiner.logs.find('state sync: a peer sent a chunk that does not verify; it is asked no more', { peer: liar.id.slice(0, 16) })).toBeDefined();
    expect(joiner.p2p.peers().find((p) => p.id === liar.id)?.score ?? -1).toBeLessThan(0);

    // the restored directory opens as a chain at the snapshot height, and block sync's next block applies to it
    const state = new StateStore(db);
    const blocks = new BlockStore(db);
    const chain = new Chain(mergeOptions().chain, { db, genesis: l.genesis, ed, app: createApplication(l.genesis.chainId, ed, state, undefined), state, blocks });
    chain.open();
    expect(chain.lastHeight()).toBe(50);
    expect(blocks.base).toBe(50);
    expect(toHex(state.root)).toBe(toHex(l.state.rootAt(50)!));
    expect(toHex(state.root)).toBe(toHex(l.blocks.requireBlock(51).header.appHash));
    for (let h = 51; h <= 60; h++) {
      const b = l.blocks.requireBlock(h);
      chain.commitBlock({ header: b.header, txs: l.blocks.getTxs(h).map((t) => t.tx) }, b.commit);
    }
    expect(toHex(state.root)).toBe(toHex(l.state.root));
    expect(() => blocks.requireBlock(49)).toThrow(expect.objectContaining({ code: 'BELOW_BASE' }));

    // `salus verify` replays it from its base; a changed state entry is found
    const opts = mergeOptions();
    const verify = () => verifyDb(db, { genesis: l.genesis, ed, chain: opts.chain, state: opts.state });
    expect(verify()).toEqual({ ok: true, height: 60, txs: expect.any(Number) });
    const row = db.prepare<[], { key: Buffer }>('SELECT key FROM state ORDER BY key LIMIT 1').get()!;
    db.prepare('UPDATE state SET value = ? WHERE key = ?').run(Buffer.from('forged'), row.key);
    expect(verify()).toMatchObject({ ok: false, error: { object: expect.stringMatching(/^state/) } });
  }, 60_000);

  it('refuses headers that do not lead to the trusted hash (BAD_SNAPSHOT after its attempts)', async () => {
    const l = ledgerWith(12);
    const peer = makePeer(td, { channels: CHANNELS });
    const joiner = makePeer(td, { channels: CHANNELS });
    serve(l, peer, 1 << 20);
    for (const [p, q] of [[peer, joiner], [joiner, peer]] as const) p.p2p.setAllowedKeys([q.id]);
    for (const p of [peer, joiner]) await p.p2p.start();
    joiner.p2p.addPeer({ id: peer.id, host: '127.0.0.1', port: peer.port() });
    await until(() => joiner.p2p.connectedPeers().length === 1, 'linked');
    const dataDir = tempDir('salus-statesync-refused-');
    td.add(() => rmSync(dataDir, { recursive: true, force: true }));
    const dbFile = join(dataDir, 'salus.db');
    const db = openDb(dbFile);
    const restore = new StateSyncRestore({ ...defaultStateSyncOptions, discoveryMs: 50, attemptsMax: 2 }, { db, genesis: l.genesis, ed, p2p: joiner.p2p, clock: systemClock, log: joiner.logs.logger, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX });
    await expect(restore.run({ height: 12, hash: new Uint8Array(32).fill(9) })).rejects.toMatchObject({ code: 'BAD_SNAPSHOT' });
    // nothing usable is left behind: the directory stays marked, and a node refuses to open it as a chain
    expect(restoreInterrupted(db)).toBe(true);
    db.close();
    expect(() => new SalusNode({ genesis: l.genesis, nodeKeys: generateIdentityKeys(), dataDir, dbFile, options: { log: { level: 'silent' } } })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  }, 60_000);
});
