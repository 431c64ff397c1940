// What the network benchmark sees of the network: a poller on node 0 (every block's transactions,
// with the time they were first seen committed, matched against the clients' acknowledgements) and
// a sampler (once a second, every validator's height, mempool, RSS and CPU; the clients' CPU).
import type { GetJson, BlockView, NodeStatus } from '../lib/http.js';
import { procCpuS, procMem, sleep, type ProcMem } from '../lib/processes.js';
import { wallNow as now, type Validator } from '../lib/validators.js';
import type { AckRecord } from './ipc.js';
import { latencyBetween, rateBetween, type LatencyLog, type Rate, type SeenBlock, type WindowLatency } from './rates.js';

/** An acknowledged transaction not yet seen committed: [tSubmit, tAck, tSched, client]. */
type Pending = [number, number, number, number];

export interface NodeSample extends Partial<ProcMem> {
  alive: boolean;
  h: number | null;
  mempool: number | null;
  round: number | null;
  cpu_s: number | null;
}
export interface SampleRow {
  t: number;
  nodes: (NodeSample | undefined)[];
  clients_cpu_s: number[];
}

export interface ObserverDeps {
  readonly getJson: GetJson;
  readonly url0: string;
  readonly pollMs: number;
  /** the validators now (a restarted one replaces its entry) */
  readonly vals: () => readonly Validator[];
  readonly clientPids: () => readonly (number | undefined)[];
  /** after each poll: the clients learn how many of theirs committed */
  readonly onPolled: (committedBy: readonly number[]) => void;
}

export class Observer {
  readonly blocks: SeenBlock[] = [];
  readonly lat: LatencyLog = { seen: [], ms: [], tSubmit: [], tSched: [] };
  readonly pending = new Map<string, Pending>();
  /** hash → seen: the block came before the client's record */
  private readonly seenEarly = new Map<string, number>();
  readonly committedBy: number[] = [];
  readonly samples: SampleRow[] = [];
  /** node 0's view of its peers' heights (block-sync status messages), by node id */
  peerHeights0: Record<string, number> = {};
  pollErrors = 0;
  private running = true;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly d: ObserverDeps,
    public lastH: number,
  ) {}

  start(): void {
    this.loops = [this.pollLoop(), this.samplerLoop()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.race([Promise.all(this.loops), sleep(3000)]);
  }

  /** A client's acknowledgements: matched with a block seen already, or pending. */
  acknowledged(c: number, recs: readonly AckRecord[]): void {
    this.committedBy[c] ??= 0;
    for (const r of recs) {
      const rec: Pending = [r[1], r[2], r[3], c];
      const s = this.seenEarly.get(r[0]);
      if (s !== undefined) {
        this.seenEarly.delete(r[0]);
        this.matched(c, rec, s);
      } else this.pending.set(r[0], rec);
    }
  }

  private matched(c: number, r: Pending, seen: number): void {
    this.committedBy[c] = (this.committedBy[c] ?? 0) + 1;
    this.lat.seen.push(seen);
    this.lat.ms.push(seen - r[0]);
    this.lat.tSubmit.push(r[0]);
    this.lat.tSched.push(r[2]);
  }

  totalCommitted(): number {
    return this.blocks.reduce((s, b) => s + b.txs, 0);
  }

  /** acknowledged transactions so far: those seen committed and those pending */
  ackedEstimate(): number {
    return this.lat.ms.length + this.pending.size;
  }

  rateBetween(a: number, b: number, anchorMin = a): Rate {
    return rateBetween(this.blocks, a, b, anchorMin);
  }

  latencyBetween(a: number, b: number, key: 'tSubmit' | 'tSched' = 'tSubmit'): WindowLatency {
    return latencyBetween(this.lat, a, b, key);
  }

  private async pollLoop(): Promise<void> {
    const { getJson, url0, pollMs } = this.d;
    while (this.running) {
      const t = now();
      try {
        const st = await getJson<NodeStatus>(`${url0}/v1/status`, 2000);
        const seen = now();
        this.peerHeights0 = st.consensus?.peerHeights ?? {};
        for (let h = this.lastH + 1; h <= st.height; h++) {
          const b = await getJson<BlockView>(`${url0}/v1/blocks/${h}`, 10_000);
          this.blocks.push({ h, seen, txs: b.txs.length, time: b.header.time, round: b.commit.round, signers: b.commit.signatures.map((s) => s.validator) });
          for (const { hash } of b.txs) {
            const r = this.pending.get(hash);
            if (r) {
              this.pending.delete(hash);
              this.matched(r[3], r, seen);
            } else this.seenEarly.set(hash, seen);
          }
          this.lastH = h;
        }
        this.d.onPolled(this.committedBy);
      } catch {
        this.pollErrors++;
      }
      const wait = pollMs - (now() - t);
      if (wait > 0) await sleep(wait);
    }
  }

  private async samplerLoop(): Promise<void> {
    const { getJson } = this.d;
    while (this.running) {
      const t = now();
      const row: SampleRow = { t, nodes: [], clients_cpu_s: this.d.clientPids().map((pid) => procCpuS(pid)) };
      await Promise.all(
        this.d.vals().map(async (v, i) => {
          const st = v.alive ? await getJson<NodeStatus>(`${v.url}/v1/status`, 900).catch(() => null) : null;
          row.nodes[i] = { alive: v.alive, h: st?.height ?? null, mempool: st?.mempool?.size ?? null, round: st?.consensus?.round ?? null, ...(v.alive ? procMem(v.pid) : {}), cpu_s: v.alive ? procCpuS(v.pid) : null };
        }),
      );
      this.samples.push(row);
      const wait = 1000 - (now() - t);
      if (wait > 0) await sleep(wait);
    }
  }
}
