// Validator processes of the multi-process benchmarks: `salus start --home <home>` children, their
// start, stop and what they logged.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchFailure, log } from './cli.js';
import { fileTail } from './files.js';
import { ROOT_DIR } from './paths.js';
import { sleep, type Owned } from './processes.js';

const MAIN_JS = join(ROOT_DIR, 'packages/node/dist/cli/main.js');
/** Wall-clock milliseconds with sub-millisecond resolution (performance.timeOrigin + performance.now()). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export interface Validator {
  readonly i: number;
  readonly home: string;
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly url: string;
  /** wall-clock ms */
  readonly spawnedAt: number;
  /** wall-clock ms: when it printed its API address */
  readonly apiAt: number;
  /** the height it printed at start, -1 when none */
  readonly startHeight: number;
  alive: boolean;
  /** set before stopping it on purpose: its exit is not a crash */
  expectExit?: boolean;
}

export interface Crash {
  node: number;
  exit: string | number | null;
  logTail: string;
}

/**
 * Spawns validator `i` as `node [nodeArgs] packages/node/dist/cli/main.js start --home <home>` (stdout
 * piped and read, stderr appended to <home>/node.log), tracked by `track`. Resolves, once the node
 * prints its API address, with the Validator. Rejects when it exits before that (with the end of its
 * node.log) or after `timeoutMs`. Afterwards `alive` turns false when it exits; an exit without
 * `expectExit` set is a crash: logged with the end of node.log and passed to onCrash.
 */
export async function spawnValidator(o: { i: number; home: string; nodeArgs?: string[]; track: Owned['track']; tag: string; onCrash?: (c: Crash) => void; timeoutMs?: number }): Promise<Validator> {
  const { i, home, nodeArgs = [], track, tag, onCrash, timeoutMs = 60_000 } = o;
  const logFile = join(home, 'node.log');
  const logFd = openSync(logFile, 'a');
  const spawnedAt = wallNow();
  const child = track(spawn(process.execPath, [...nodeArgs, MAIN_JS, 'start', '--home', home], { stdio: ['ignore', 'pipe', logFd] }));
  closeSync(logFd);
  const v = await new Promise<Validator>((resolve, reject) => {
    let outText = '';
    let found = false;
    const timer = setTimeout(() => reject(new BenchFailure(`validator ${i} did not start in ${timeoutMs / 1000} s; see ${logFile}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      if (found) return; // keep draining the pipe
      outText += d.toString();
      const url = /API\s+(\S+)\/v1\/status/.exec(outText)?.[1];
      if (url) {
        found = true;
        clearTimeout(timer);
        resolve({ i, home, child, pid: child.pid, url, spawnedAt, apiAt: wallNow(), startHeight: Number(/height (\d+)/.exec(outText)?.[1] ?? -1), alive: true });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new BenchFailure(`validator ${i} exited (${sig ?? code}) before serving; its node.log ends:\n${fileTail(logFile, 3000)}`));
    });
  });
  child.once('exit', (code, sig) => {
    v.alive = false;
    if (v.expectExit) return;
    const logTail = fileTail(logFile, 1500);
    onCrash?.({ node: i, exit: sig ?? code, logTail });
    log(`[${tag}] validator ${i} exited unexpectedly (${sig ?? code}); its node.log ends:\n${logTail}`);
  });
  return v;
}

/**
 * Stops the live validators: SIGTERM, then SIGKILL after `graceS` seconds. Resolves with one entry per
 * validator: its exit code or signal, 'SIGKILL after <graceS> s', or null for one that was not alive.
 */
export function stopValidators(vals: readonly Validator[], graceS: number): Promise<(string | number | null)[]> {
  return Promise.all(
    vals.map((v) => {
      if (!v.alive) return null;
      const exited = new Promise<string | number | null>((r) => v.child.once('exit', (code, sig) => r(sig ?? code)));
      v.expectExit = true;
      v.child.kill('SIGTERM');
      return Promise.race([
        exited,
        sleep(graceS * 1000).then(() => {
          v.child.kill('SIGKILL');
          return `SIGKILL after ${graceS} s`;
        }),
      ]);
    }),
  );
}

/** What each validator logged at level warn and above (its <home>/node.log, JSON lines), counted by message (numbers in reasons as N). */
export function nodeLogWarnings(vals: readonly Validator[]): Record<string, number>[] {
  return vals.map((v) => {
    const counts: Record<string, number> = {};
    try {
      for (const line of readFileSync(join(v.home, 'node.log'), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string; reason?: unknown };
          const key = `${(j.level ?? 0) >= 50 ? 'error' : 'warn'}: ${j.msg}${j.reason ? ` (${String(j.reason).replace(/\d+/g, 'N')})` : ''}`;
          counts[key] = (counts[key] ?? 0) + 1;
        } catch {
          // not a JSON line
        }
      }
    } catch {
      // no log
    }
    return counts;
  });
}
