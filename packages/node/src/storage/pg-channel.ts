import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { SalusError } from '@salus/core';
import type { PgAnswer, PgRequest, PgWorkerData } from './pg-worker.js';

/** The worker's file beside this one in dist; from the TypeScript source (tests), the built one. */
function workerUrl(): URL {
  const beside = new URL('./pg-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/storage/pg-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new SalusError('CONFIG', 'the PostgreSQL storage worker is not built: run the build (tsc -b) first');
}

type Request = PgRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * A synchronous call into the PostgreSQL worker thread: the calling thread posts the request and
 * blocks on `Atomics.wait` until the worker has answered on the message port, or `timeoutMs`
 * passes. Hand-written rather than taken from a library such as synckit, which keeps one worker
 * per file for the whole process: each database here needs its own worker and connection, closed
 * with it, and a timed-out call must leave the channel unusable (a late answer of a commit cannot
 * be told from a new one's), which this enforces.
 */
export class PgChannel {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  /** why the channel can no longer be used (a timeout or a lost connection) */
  private broken: string | undefined;

  constructor(private readonly what: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: PgWorkerData = { port: port2, flag: this.flag };
    this.worker = new Worker(workerUrl(), { workerData: data, transferList: [port2] });
    // the worker never keeps the process alive: the node closes its storage on stop
    this.worker.unref();
    this.worker.on('error', (e) => void (this.broken ??= `the storage worker failed: ${e.message}`));
  }

  /** Sends a request and blocks until its answer; throws STORAGE_UNAVAILABLE or STORAGE_ERROR. */
  call(req: Request, timeoutMs: number): readonly Record<string, unknown>[] {
    if (this.broken !== undefined) throw new SalusError('STORAGE_UNAVAILABLE', `${this.what}: ${this.broken}`);
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ ...req, id });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        this.broken = `no answer within ${timeoutMs} ms`;
        throw new SalusError('STORAGE_UNAVAILABLE', `${this.what}: no answer within ${timeoutMs} ms (the server is unreachable or stalled); the storage is closed`, { timeoutMs });
      }
      Atomics.store(this.flag, 0, 0);
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const a = m.message as PgAnswer;
        if (a.id !== id) continue;
        if (a.ok) return a.rows;
        if (a.connection) {
          this.broken = a.message;
          throw new SalusError('STORAGE_UNAVAILABLE', `${this.what}: ${a.message}`);
        }
        if (a.corrupt) throw new SalusError('CORRUPT_DATA', `${this.what}: ${a.message}`);
        throw new SalusError('STORAGE_ERROR', `${this.what}: ${a.message}`, { sqlstate: a.sqlstate ?? null });
      }
    }
  }

  /** Closes the connection (when it still answers within `timeoutMs`) and stops the worker; never throws. */
  close(timeoutMs: number): void {
    try {
      if (this.broken === undefined && timeoutMs > 0) this.call({ op: 'close' }, timeoutMs);
    } catch {
      // the server closes the session itself when the worker's socket goes
    } finally {
      this.broken ??= 'closed';
      this.port.close();
      void this.worker.terminate();
    }
  }
}
