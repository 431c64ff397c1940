import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, randomBytes, sha256, toHex, utf8ToBytes } from '@salus/core';
import { type Vote, createValidatorSet, defaultTendermintOptions, encodeMessage, proposalSignBytes, proposerOf, splitBlock, voteSignBytes } from '@salus/consensus';
import { initLocalnet } from '../src/config/localnet.js';
import { readKeyFile } from '../src/config/keyfile.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { P2P } from '../src/p2p/index.js';
import { CH, nodeChannels } from '../src/consensus/channels.js';
import { defaultBftOptions } from '../src/consensus/options.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, startNodeProcess, stopProcess, waitFor } from './net-harness.js';

/**
 * Three honest validator processes and a Byzantine fourth played by the test with the real
 * validator key: it double-signs votes, then, in a round it is the proposer of, signs two proposals
 * (both offences land on the ledger), then sends messages no honest node would (wrong chain, bad
 * signature, malformed, far-future height). The honest nodes keep committing, and the offender is
 * scored and disconnected.
 */
describe('a Byzantine validator among three honest processes', () => {
  const dir = tempDir('salus-byz-');
  const procs: NodeProc[] = [];
  let rogue: P2P | undefined;
  afterAll(async () => {
    await rogue?.close();
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    if (!process.env.SALUS_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('double signing is recorded on the ledger; bad messages are dropped, the peer disconnected, the chain unaffected', async () => {
    const base = await freePortRange(8);
    const chainId = 'salus-byz';
    const nodes = initLocalnet({ dir, validators: 4, chainId, apiPortBase: base, p2pPortBase: base + 4, config: FAST });
    for (const n of nodes.slice(0, 3)) procs.push(await startNodeProcess(n.home));
    const url = procs[0]!.url;
    await waitFor(async () => (await height(url)) >= 2, 30_000, 'three honest validators to commit');

    const byz = nodes[3]!;
    const keys = readKeyFile(join(byz.home, 'keys', 'node.json'));
    const ed = createNativeEd25519();
    rogue = new P2P(
      { host: '127.0.0.1', port: byz.p2pPort, networkId: chainId, peers: nodes.slice(0, 3).map((n) => ({ id: n.nodeId, host: '127.0.0.1', port: n.p2pPort })) },
      { keys, logger: pino({ level: 'silent' }), channels: nodeChannels(defaultBftOptions.tendermint.blockBytesMax), allowedKeys: nodes.map((n) => n.nodeId) },
    );
    await rogue.start();
    await waitFor(() => rogue!.connectedPeers().length === 3, 15_000, 'the Byzantine node to connect');
    const vote = (h: number, r: number, blockHash: Uint8Array | null, chain = chainId): Vote => {
      const body = { type: 'prevote' as const, height: h, round: r, blockHash };
      return { ...body, validator: keys.signing.publicKey, signature: ed.sign(keys.signing.secretKey, voteSignBytes(chain, body)) };
    };

    // Equivocation: two prevotes for different blocks at the honest nodes' current height and round.
    const faulty = async () => (await fetch(`${url}/v1/evidence/faulty/${byz.nodeId}`)).status === 200;
    await waitFor(
      async () => {
        const st = await getJson<{ consensus: { height: number; round: number } }>(`${url}/v1/status`);
        for (const bh of [randomBytes(32), randomBytes(32)]) rogue!.broadcast(CH.vote, encodeMessage(chainId, { kind: 'vote', vote: vote(st.consensus.height, st.consensus.round, bh) }));
        return faulty();
      },
      20_000,
      'the double signing to be recorded on the ledger',
    );
    const rec = await getJson<{ offences: number; validator: string }>(`${url}/v1/evidence/faulty/${byz.nodeId}`);
    expect(rec.validator).toBe(byz.nodeId);
    expect(rec.offences).toBeGreaterThanOrEqual(1);

    // Proposer equivocation: in a round of the honest nodes' height that it proposes, two signed
    // proposals for different blocks, each followed by its parts. An honest node that holds both
    // submits the evidence; the ledger checks it and records a 'proposal' offence.
    const genesis = JSON.parse(readFileSync(join(nodes[0]!.home, 'genesis.json'), 'utf8')) as { validators: { pubKey: string; power: number }[] };
    const set = createValidatorSet(genesis.validators.map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power })), 100);
    const recorded: string[] = [];
    const proposalRecorded = async () => {
      for (const key of recorded) if ((await getJson<{ decoded?: unknown }>(`${url}/v1/state?key=${encodeURIComponent(key)}`)).decoded) return true;
      return false;
    };
    await waitFor(
      async () => {
        const st = await getJson<{ consensus: { height: number; round: number } }>(`${url}/v1/status`);
        const h = st.consensus.height;
        const r = [0, 1, 2, 3].map((d) => st.consensus.round + d).find((x) => bytesEqual(proposerOf(set, h, x), keys.signing.publicKey));
        if (r !== undefined) {
          for (let i = 0; i < 2; i++) {
            const block = new Uint8Array(150_000); // three parts of 64 KiB: not a block the application takes, but a signed proposal all the same
            block.set(randomBytes(32));
            const { header, parts } = splitBlock(block, defaultTendermintOptions.blockPartBytes);
            const body = { height: h, round: r, polRound: -1, blockHash: sha256(block), parts: header };
            const proposal = { ...body, proposer: keys.signing.publicKey, signature: ed.sign(keys.signing.secretKey, proposalSignBytes(chainId, body)) };
            rogue!.broadcast(CH.proposal, encodeMessage(chainId, { kind: 'proposal', proposal }));
            for (const part of parts) rogue!.broadcast(CH.proposal, encodeMessage(chainId, { kind: 'blockPart', part: { height: h, round: r, root: header.root, part } }));
          }
          recorded.push(`evidence/seen/${byz.nodeId}/${h}/${r}/proposal`);
        }
        return proposalRecorded();
      },
      30_000,
      'the equivocating proposer to be recorded on the ledger',
    );

    // Messages no honest node sends: each costs the sender; enough of them and every honest node drops the link.
    const h0 = await height(url);
    const disconnected = new Set<string>();
    rogue.onPeerDisconnected((id) => disconnected.add(id));
    const st = await getJson<{ consensus: { height: number; round: number } }>(`${url}/v1/status`);
    const farFuture = vote(st.consensus.height + 1000, 0, randomBytes(32));
    rogue.broadcast(CH.vote, encodeMessage(chainId, { kind: 'vote', vote: farFuture }));
    const wrongChain = vote(st.consensus.height, st.consensus.round, randomBytes(32), 'another-chain');
    rogue.broadcast(CH.vote, encodeMessage('another-chain', { kind: 'vote', vote: wrongChain }));
    const badSig = { ...vote(st.consensus.height, st.consensus.round, randomBytes(32)), signature: randomBytes(64) };
    rogue.broadcast(CH.vote, encodeMessage(chainId, { kind: 'vote', vote: badSig }));
    rogue.broadcast(CH.vote, utf8ToBytes('not cbor at all'));
    rogue.broadcast(CH.proposal, new Uint8Array([0xa1, 0x61]));
    await waitFor(() => disconnected.size === 3, 15_000, 'every honest node to drop the Byzantine peer');

    // The chain goes on, and every honest node still serves.
    await waitFor(async () => (await height(url)) >= h0 + 3, 20_000, 'the honest validators to keep committing');
    for (const p of procs) expect(await height(p.url)).toBeGreaterThan(h0);
    const peers = await getJson<{ consensus: { peers: number } }>(`${procs[1]!.url}/v1/status`);
    expect(peers.consensus.peers).toBe(2);
    expect(toHex(keys.signing.publicKey)).toBe(byz.nodeId);
  }, 120_000);
});
