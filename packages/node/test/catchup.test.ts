import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { initLocalnet } from '../src/config/localnet.js';
import { tempDir } from './harness.js';
import { FAST, type NodeProc, freePortRange, getJson, height, patientTx, startNodeProcess, stopProcess, submit, waitFor } from './net-harness.js';

interface BlockView {
  header: { hash: string };
  txs: unknown[];
}

/**
 * Catch-up with real processes: one validator of four stopped while the other three commit many
 * blocks full of transactions; restarted, it fetches the blocks it missed from its peers by block
 * sync, keeps answering its API while it commits them, reaches the others' height with the same
 * blocks, and joins consensus again, all under continuing load. Bounds are generous (these machines
 * are shared); the measured times are printed, not asserted.
 */
describe('a restarted validator catches up by block sync', () => {
  const dir = tempDir('salus-catchup-');
  const procs: NodeProc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    if (!process.env.SALUS_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the others’ height and block hashes, serving its API meanwhile, and commits by consensus after', async () => {
    const base = await freePortRange(8);
    const chainId = 'salus-catchup';
    const nodes = initLocalnet({ dir, validators: 4, chainId, apiPortBase: base, p2pPortBase: base + 4, config: FAST });
    for (const n of nodes) procs[n.index] = await startNodeProcess(n.home);
    const url = (i: number) => procs[i]!.url;
    await waitFor(async () => (await Promise.all([0, 1, 2, 3].map((i) => height(url(i))))).every((h) => h >= 2), 30_000, 'all four nodes to commit blocks');

    // Load on the three that stay up: several submitters in parallel, for the whole test.
    const live = [0, 1, 2];
    let loading = true;
    let acked = 0;
    const load = Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let k = w; loading; k++) {
          if (await submit(url(live[k % live.length]!), patientTx(chainId))) acked++;
        }
      }),
    );

    await stopProcess(procs[3]!, 'SIGKILL');
    const h0 = await height(url(0));
    await waitFor(async () => (await height(url(0))) >= h0 + 30, 120_000, '30 blocks with node 3 down');
    const missedTop = await height(url(0));
    const missed = await Promise.all(Array.from({ length: missedTop - h0 }, (_, i) => getJson<BlockView>(`${url(0)}/v1/blocks/${h0 + 1 + i}`)));
    const missedTxs = missed.reduce((n, b) => n + b.txs.length, 0);
    expect(missedTxs).toBeGreaterThan(200);

    const spawned = Date.now();
    procs[3] = await startNodeProcess(nodes[3]!.home);
    const apiUp = Date.now();
    const start = await height(url(3));
    // Its API answers while it catches up: heights between where it started and where the others were are seen.
    const seen: number[] = [];
    let missedAt = 0;
    await waitFor(
      async () => {
        const [mine, theirs] = await Promise.all([height(url(3)), height(url(0))]);
        if (mine >= 0) seen.push(mine);
        if (!missedAt && mine >= missedTop) missedAt = Date.now();
        return mine >= theirs - 1 && mine >= missedTop;
      },
      120_000,
      'node 3 to catch up',
    );
    const atTip = Date.now();
    expect(seen.some((h) => h > start && h < missedTop)).toBe(true);
    console.log(
      `[catchup] ${missedTop - h0} missed blocks, ${missedTxs} txs; API up ${apiUp - spawned} ms after spawn at height ${start}; ` +
        `missed blocks committed ${missedAt - apiUp} ms after, at the tip ${atTip - apiUp} ms after; ${new Set(seen).size} heights seen on the way`,
    );

    // It joins consensus: it goes on committing with the others, and holds the same blocks.
    const joined = await height(url(3));
    await waitFor(async () => (await height(url(3))) >= joined + 5, 60_000, 'node 3 to commit 5 more blocks');
    loading = false;
    await load;
    expect(acked).toBeGreaterThan(200);
    const top = Math.min(...(await Promise.all([0, 1, 2, 3].map((i) => height(url(i))))));
    for (const h of [h0 + 1, Math.floor((h0 + missedTop) / 2), missedTop, top]) {
      const hashes = await Promise.all([0, 3].map(async (i) => (await getJson<BlockView>(`${url(i)}/v1/blocks/${h}`)).header.hash));
      expect(hashes[1], `block ${h}`).toBe(hashes[0]);
    }
    for (const p of procs) expect(await stopProcess(p)).toBe(0);
  }, 400_000);
});
