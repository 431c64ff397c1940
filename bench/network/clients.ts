// The network benchmark's load clients: child processes (network/load-client.js) each submitting its
// slice of the pre-signed transactions as told: idle, a closed loop, or an open loop at a rate.
import { fork, type ChildProcess } from 'node:child_process';
import { BenchFailure, log } from '../lib/cli.js';
import { compiled } from '../lib/paths.js';
import { procCpuS, sleep, type Owned } from '../lib/processes.js';
import { SLICE_ENV, type ClientCommand, type ClientEvent, type ClientFinal, type Mode, type Slice } from './ipc.js';
import type { Observer } from './observer.js';

interface LoadClient {
  readonly proc: ChildProcess;
  sentCommitted: number;
}

export class LoadClients {
  private readonly list: LoadClient[] = [];
  readonly exhausted = new Set<number>();
  readonly finals: ClientFinal[] = [];

  constructor(
    private readonly o: {
      readonly track: Owned['track'];
      readonly txFile: string;
      readonly sliceOffsets: readonly number[];
      readonly concurrency: number;
      readonly window: number;
      readonly liveUrls: () => string[];
    },
  ) {}

  get count(): number {
    return this.list.length;
  }

  pids(): (number | undefined)[] {
    return this.list.map((c) => c.proc.pid);
  }

  cpuS(): number[] {
    return this.list.map((c) => procCpuS(c.proc.pid));
  }

  allExhausted(): boolean {
    return this.exhausted.size === this.list.length;
  }

  private send(c: LoadClient, m: ClientCommand): void {
    if (c.proc.connected) c.proc.send(m);
  }

  /** Forks `n` clients, one slice each, and waits until each is ready; their acknowledgements go to `obs`. */
  async start(n: number, obs: Observer): Promise<void> {
    for (let c = 0; c < n; c++) {
      const slice: Slice = { file: this.o.txFile, from: this.o.sliceOffsets[c]!, to: this.o.sliceOffsets[c + 1]! };
      const proc = this.o.track(fork(compiled('network/load-client.js'), [], { env: { ...process.env, [SLICE_ENV]: JSON.stringify(slice) }, stdio: ['ignore', 2, 2, 'ipc'] }));
      proc.on('error', (e) => log(`[network] load client ${c}: ${e.message}`));
      obs.committedBy[c] = 0;
      this.list.push({ proc, sentCommitted: 0 });
      await new Promise<void>((resolve, reject) => {
        proc.on('message', (m: ClientEvent) => {
          if (m.ev === 'ready') resolve();
          else if (m.ev === 'recs') obs.acknowledged(c, m.recs);
          else if (m.ev === 'exhausted') this.exhausted.add(c);
          else if (m.ev === 'final') this.finals[c] = m.stats;
        });
        proc.once('exit', (code) => code !== 0 && reject(new BenchFailure(`load client ${c} exited with ${code}`)));
      });
    }
  }

  /** The clients learn how many of their transactions committed (they keep ≤ window acknowledged but uncommitted). */
  notifyCommitted(committedBy: readonly number[]): void {
    this.list.forEach((c, i) => {
      const n = committedBy[i] ?? 0;
      if (c.sentCommitted !== n) {
        c.sentCommitted = n;
        this.send(c, { cmd: 'committed', n });
      }
    });
  }

  setMode(mode: Mode, extra: { rate?: number } = {}): void {
    const k = this.list.length;
    for (const c of this.list) this.send(c, { cmd: 'mode', mode, concurrency: Math.ceil(this.o.concurrency / k), window: Math.ceil(this.o.window / k), targets: this.o.liveUrls(), ...(extra.rate ? { rate: extra.rate / k } : {}) });
  }

  setTargets(targets: string[]): void {
    for (const c of this.list) this.send(c, { cmd: 'targets', targets });
  }

  /** Tells every client to stop (each reports its final stats) and waits for them to exit (8 s at most). */
  async stop(): Promise<void> {
    for (const c of this.list) if (c.proc.exitCode === null) this.send(c, { cmd: 'stop' });
    await Promise.race([Promise.all(this.list.map((c) => (c.proc.exitCode === null ? new Promise((r) => c.proc.once('exit', r)) : null))), sleep(8000)]);
  }
}
