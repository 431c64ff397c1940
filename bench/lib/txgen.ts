// Pre-signing transactions over worker threads (signing a million takes a while).
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BenchFailure, messageOf } from './cli.js';
import { compiled } from './paths.js';

/** What a generator thread is told (its workerData). */
export interface GenJob {
  readonly job: 'gen';
  readonly workload: string;
  readonly from: number;
  readonly to: number;
  readonly adminCount: number;
  /** write the records here instead of posting the transactions back */
  readonly file?: string;
}

export interface GenerateOptions {
  readonly workload: string;
  readonly n: number;
  readonly adminCount: number;
  readonly threads?: number;
}

/** Signs transactions [0, n) over `threads` worker threads; returns them in order. */
export function generateTxs(o: GenerateOptions): Promise<Uint8Array[]>;
/** The same, written to `file` (u16 length-prefixed records, see txfile.ts) instead. */
export function generateTxs(o: GenerateOptions & { file: string }): Promise<undefined>;
export async function generateTxs({ workload, n, adminCount, threads = Math.max(1, cpus().length), file }: GenerateOptions & { file?: string }): Promise<Uint8Array[] | undefined> {
  const per = Math.ceil(n / threads);
  const parts: Promise<unknown>[] = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per;
    const to = Math.min(n, from + per);
    if (from >= to) break;
    const job: GenJob = { job: 'gen', workload, from, to, adminCount, ...(file ? { file: `${file}.part${t}` } : {}) };
    parts.push(
      new Promise((resolve, reject) => {
        const w = new Worker(compiled('lib/txgen-worker.js'), { workerData: job });
        w.once('message', resolve);
        w.once('error', (e) => reject(new BenchFailure(`generator thread failed: ${messageOf(e)}`)));
        w.once('exit', (code) => code !== 0 && reject(new BenchFailure(`generator thread exited with ${code}`)));
      }),
    );
  }
  const results = await Promise.all(parts);
  if (!file) return results.flat() as Uint8Array[];
  const fd = openSync(file, 'w');
  for (let t = 0; t < results.length; t++) {
    writeSync(fd, readFileSync(`${file}.part${t}`));
    rmSync(`${file}.part${t}`);
  }
  closeSync(fd);
  return undefined;
}
