// Per-phase CPU accounting of the network benchmark: each validator's, each client's and this
// process's CPU over a phase, against the machine's, and per committed transaction.
import { loadMeter, type LoadMeter } from '../lib/machine.js';
import { procCpuS } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { wallNow as now, type Validator } from '../lib/validators.js';

export interface CpuSnapshot {
  t: number;
  vals: (number | null)[];
  pidOf: (number | undefined)[];
  clients: number[];
  self: NodeJS.CpuUsage;
  meter: LoadMeter;
}

export interface PhaseCpu {
  wall_s: number;
  validator_cores: (number | null)[];
  client_cores: number[];
  bench_process_cores: number;
  machine_busy_cores: number;
  others_busy_cores: number;
  loadavg_1m_end: number;
  cpu_us_per_committed_tx: { validators_each: (number | null)[]; clients: number } | null;
}

export class CpuAccount {
  constructor(
    private readonly vals: () => readonly Validator[],
    private readonly clientsCpuS: () => number[],
  ) {}

  snap(): CpuSnapshot {
    const vals = this.vals();
    return { t: now(), vals: vals.map((v) => (v.alive ? procCpuS(v.pid) : null)), pidOf: vals.map((v) => v.pid), clients: this.clientsCpuS(), self: process.cpuUsage(), meter: loadMeter() };
  }

  /** CPU since `s0` (a validator restarted since counts as unknown), and per committed transaction. */
  since(s0: CpuSnapshot, committed: number): PhaseCpu {
    const wallS = (now() - s0.t) / 1000;
    const valsS = this.vals().map((v, i) => {
      const before = s0.vals[i];
      return v.alive && before !== null && before !== undefined && v.pid === s0.pidOf[i] ? procCpuS(v.pid) - before : null;
    });
    const clientsS = this.clientsCpuS().map((x, i) => x - (s0.clients[i] ?? 0));
    const selfU = process.cpuUsage(s0.self);
    const selfS = (selfU.user + selfU.system) / 1e6;
    const known = valsS.reduce<number>((a, b) => a + (b ?? 0), 0) + clientsS.reduce((a, b) => a + b, 0);
    const m = s0.meter.stop(known * 1000);
    return {
      wall_s: round(wallS, 1),
      validator_cores: valsS.map((x) => (x === null ? null : round(x / wallS, 2))),
      client_cores: clientsS.map((x) => round(x / wallS, 2)),
      bench_process_cores: round(selfS / wallS, 2),
      machine_busy_cores: m.machine_busy_cores,
      others_busy_cores: m.others_busy_cores,
      loadavg_1m_end: m.loadavg_1m_end,
      cpu_us_per_committed_tx: committed > 0 ? { validators_each: valsS.map((x) => (x === null ? null : round((x * 1e6) / committed, 0))), clients: round((clientsS.reduce((a, b) => a + b, 0) * 1e6) / committed, 0) } : null,
    };
  }
}
