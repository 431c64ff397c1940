// Nothing lost under load and faults: a 4-validator localnet under a closed-loop load of batches;
// validator 1 is SIGKILLed and restarted; validator 2's storage fills (its `storageQuotaBytes`, the
// engine's own SQLITE_FULL) so it stops with exit code 74, and is restarted with room; the client
// resubmits every transaction whose commit it has not seen. At the end: every transaction the client
// was told was admitted and saw committed is in the chain exactly once (all blocks scanned),
// `salus verify` passes on all four data folders, and the app hashes at a common height agree.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, txHash } from '@salus/core';
import { log } from '../lib/cli.js';
import type { BlockView } from '../lib/http.js';
import { startFastLocalnet, type FastLocalnet } from '../lib/localnet.js';
import { ROOT_DIR } from '../lib/paths.js';
import { ownedProcessesAndDir, sleep, type Owned } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { makeTxs } from '../lib/txs.js';
import { spawnValidator, wallNow } from '../lib/validators.js';

const MAIN_JS = join(ROOT_DIR, 'packages/node/dist/cli/main.js');

export interface FaultsFlags {
  readonly txs: number;
  readonly batch: number;
  /** seconds of load before validator 1 is killed; it is restarted `downS` later */
  readonly killAtS: number;
  readonly downS: number;
  /** bytes of room validator 2's quota leaves it when it is restarted with one */
  readonly quotaRoomBytes: number;
  readonly timeoutS: number;
  readonly keep: boolean;
}

export const faultsDefaults: FaultsFlags = { txs: 40_000, batch: 250, killAtS: 5, downS: 8, quotaRoomBytes: 1024 * 1024, timeoutS: 300, keep: false };
export const faultsQuickDefaults: FaultsFlags = { ...faultsDefaults, txs: 12_000, killAtS: 3, downS: 5, quotaRoomBytes: 512 * 1024 };

const fileSize = (f: string): number => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

function setQuota(home: string, bytes: number): void {
  const file = join(home, 'config.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), storageQuotaBytes: bytes }, null, 2));
}

async function restart(net: FastLocalnet, owned: Owned, i: number): Promise<void> {
  net.vals[i] = await spawnValidator({ i, home: net.nodesInit[i]!.home, track: owned.track, tag: 'faults' });
}

export async function runFaults(f: FaultsFlags) {
  const owned = ownedProcessesAndDir({ prefix: 'salus-bench-faults-', keep: f.keep, tag: 'faults' });
  try {
    const net = await startFastLocalnet({ dir: owned.dir, track: owned.track, tag: 'faults', logLevel: 'warn' });
    const txs = makeTxs('register_patient', 0, f.txs, []);
    const hashes = txs.map((b) => toHex(txHash(b)));
    const admitted = new Set<string>();
    const live = () => [0, 1, 2, 3].filter((i) => net.vals[i]!.alive);
    let resubmitted = 0;
    const refused: Record<string, number> = {};
    /** Submits transactions `idx` to node `i`; returns those not admitted (refused, or the node went down mid-request). */
    const post = async (i: number, idx: readonly number[]): Promise<number[]> => {
      const body = JSON.stringify({ txs: idx.map((k) => Buffer.from(txs[k]!).toString('hex')) });
      try {
        const r = await fetch(`${net.url(i)}/v1/txs/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const { results } = (await r.json()) as { results: { hash?: string; status: string; error?: { code: string } }[] };
        const again: number[] = [];
        results.forEach((a, j) => {
          if (a.status === 'pending' && a.hash) admitted.add(a.hash);
          else {
            const code = a.error?.code ?? 'unknown';
            refused[code] = (refused[code] ?? 0) + 1;
            // already pending or committed: the node holds it; anything else (a full mempool) is sent again
            if (code !== 'CONFLICT' && code !== 'NONCE_REPLAYED') again.push(idx[j]!);
          }
        });
        return again;
      } catch {
        refused.request_failed = (refused.request_failed ?? 0) + idx.length;
        return [...idx];
      }
    };

    // Load in one closed loop, round robin over the live nodes, while the faults run beside it.
    const t0 = wallNow();
    const load = (async () => {
      const queue = txs.map((_, k) => k);
      for (let k = 0; queue.length > 0; k++) {
        const nodes = live();
        const again = await post(nodes[k % nodes.length]!, queue.splice(0, f.batch));
        queue.push(...again);
        if (again.length > 0) await sleep(50);
      }
    })();
    await sleep(f.killAtS * 1000);
    log('[faults] SIGKILL validator 1');
    net.vals[1]!.expectExit = true;
    net.vals[1]!.child.kill('SIGKILL');
    // Validator 2: stopped, given a quota just above what it holds, restarted: it will fill.
    net.vals[2]!.expectExit = true;
    net.vals[2]!.child.kill('SIGTERM');
    await new Promise((r) => net.vals[2]!.child.once('exit', r));
    const home2 = net.nodesInit[2]!.home;
    const db2 = join(home2, 'data', 'salus.db');
    setQuota(home2, fileSize(db2) + fileSize(`${db2}-wal`) + f.quotaRoomBytes);
    await restart(net, owned, 2);
    net.vals[2]!.expectExit = true;
    const fullExit = new Promise<number | null>((r) => net.vals[2]!.child.once('exit', (code) => r(code)));
    await sleep(f.downS * 1000);
    log('[faults] restarting validator 1');
    await restart(net, owned, 1);
    const fullCode = await Promise.race([fullExit, sleep(f.timeoutS * 1000).then(() => 'still running' as const)]);
    const fullLog = readFileSync(join(home2, 'node.log'), 'utf8').split('\n').filter((l) => l.includes('STORAGE_FULL')).slice(-1)[0] ?? '';
    log(`[faults] validator 2 stopped with ${fullCode}; restarting it with room`);
    setQuota(home2, 0);
    await restart(net, owned, 2);
    await load;

    // Resubmit until every admitted transaction is seen committed (or the time is up).
    const committed = async (h: string) => ((await net.getJson<{ status?: string }>(`${net.url(0)}/v1/txs/${h}`).catch(() => ({}))) as { status?: string }).status === 'committed';
    const deadline = wallNow() + f.timeoutS * 1000;
    const idx = new Map(hashes.map((h, i) => [h, i]));
    let missing = [...admitted];
    while (missing.length > 0 && wallNow() < deadline) {
      const still: string[] = [];
      for (const h of missing) if (!(await committed(h))) still.push(h);
      missing = still;
      if (missing.length === 0) break;
      resubmitted += missing.length;
      for (let j = 0; j < missing.length; j += f.batch) await post(0, missing.slice(j, j + f.batch).map((h) => idx.get(h)!));
      await sleep(1000);
    }
    const elapsedS = (wallNow() - t0) / 1000;

    // Exactly once: every block of node 0 scanned.
    const top = Math.min(...(await Promise.all([0, 1, 2, 3].map(async (i) => (await net.getJson<{ height: number }>(`${net.url(i)}/v1/status`)).height))));
    const seen = new Map<string, number>();
    for (let h = 1; h <= top; h++) {
      const b = await net.getJson<BlockView & { txs?: { hash: string }[] }>(`${net.url(0)}/v1/blocks/${h}`);
      for (const t of b.txs ?? []) seen.set(t.hash, (seen.get(t.hash) ?? 0) + 1);
    }
    const twice = [...seen.values()].filter((n) => n > 1).length;
    const lost = [...admitted].filter((h) => !seen.has(h)).length;
    const appHashes = await Promise.all([0, 1, 2, 3].map(async (i) => (await net.getJson<{ header: { appHash: string } }>(`${net.url(i)}/v1/blocks/${top}`)).header.appHash));

    // Stop all four, then `salus verify` on each data folder.
    for (const v of net.vals) v.expectExit = true;
    await Promise.all(net.vals.map((v) => (v.alive ? new Promise((r) => (v.child.once('exit', r), v.child.kill('SIGTERM'))) : undefined)));
    const verify = net.nodesInit.map((n) => {
      const r = spawnSync(process.execPath, [MAIN_JS, 'verify', n.home], { encoding: 'utf8' });
      return r.status === 0;
    });
    const result = {
      txs_offered: txs.length,
      admitted: admitted.size,
      resubmitted,
      refused,
      committed_in_chain: seen.size,
      admitted_not_in_chain: lost,
      in_chain_more_than_once: twice,
      full_disk: { exit_code: fullCode, log_line: fullLog.slice(0, 400) },
      verify_ok: verify,
      app_hashes_agree_at: { height: top, agree: new Set(appHashes).size === 1 },
      elapsed_s: round(elapsedS, 1),
      committed_tx_per_s: round(seen.size / elapsedS, 1),
    };
    log(`[faults] ${JSON.stringify(result)}`);
    return { ...result, pass: lost === 0 && twice === 0 && fullCode === 74 && verify.every(Boolean) && result.app_hashes_agree_at.agree };
  } finally {
    owned.cleanup();
  }
}
