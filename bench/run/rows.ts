// The headline figures of each foundation benchmark's JSON: [figure, target, measured, ratio, pass].

/** A benchmark's JSON as the summary reads it (fields by benchmark; `error` when it did not run). */
export interface BenchJson {
  error?: string;
  stdout?: string;
  machine?: { date?: string };
  load?: unknown;
  [field: string]: unknown;
}

export type Row = [figure: string, target: string, measured: string, ratio: unknown, pass: unknown];

interface Summary {
  median_us: number;
  p99_us: number;
  ratio_to_target: number;
  pass: boolean;
}
interface ThroughputJson {
  workloads: Record<string, { tx_bytes_median: number; target_ratio: number; committed_tx_per_s_median: number; ceiling_verify_per_s_median: number; ratio: number; pass: boolean }>;
}
interface ProofsJson {
  flags: { targetUs: number };
  native: Summary;
  pure_js: Summary;
}
interface StateJson {
  flags: { keys: number; targetUs: number };
  steady: Summary;
}
interface MillionJson {
  committed: number;
  tx_bytes_mean: number;
  flags: { targetDiskRatio: number; targetRssMb: number };
  disk: { bytes_per_tx: number; ratio_to_tx_bytes: number; pass: boolean };
  rss: { rss_final_mb: number; ratio_to_target: number; pass: boolean };
}

export function rowsOf(name: string, r: BenchJson): Row[] {
  if (r.error) return [[name, '-', r.error, '-', false]];
  switch (name) {
    case 'throughput':
      return Object.entries((r as unknown as ThroughputJson).workloads).map(([w, x]) => [
        `committed tx/s, ${w} (${x.tx_bytes_median} B)`,
        `>= ${x.target_ratio} x ceiling`,
        `${x.committed_tx_per_s_median} tx/s vs ${x.ceiling_verify_per_s_median} verify/s`,
        x.ratio,
        x.pass,
      ]);
    case 'proofs': {
      const p = r as unknown as ProofsJson;
      return [
        ['verifyTxInclusion, native Ed25519', `<= ${p.flags.targetUs} us`, `${p.native.median_us} us (p99 ${p.native.p99_us})`, p.native.ratio_to_target, p.native.pass],
        ['verifyTxInclusion, pure-JS Ed25519 (client)', `<= ${p.flags.targetUs} us`, `${p.pure_js.median_us} us (p99 ${p.pure_js.p99_us})`, p.pure_js.ratio_to_target, p.pure_js.pass],
      ];
    }
    case 'state': {
      const s = r as unknown as StateJson;
      return [[`StateStore.prove at ${s.flags.keys} keys`, `<= ${s.flags.targetUs} us`, `${s.steady.median_us} us (p99 ${s.steady.p99_us})`, s.steady.ratio_to_target, s.steady.pass]];
    }
    case 'million':
    case 'million_nocache': {
      const m = r as unknown as MillionJson;
      const prefix = name === 'million_nocache' ? 'diagnostic, nodeCacheMax 1: ' : '';
      return [
        [`${prefix}disk bytes per tx (${m.committed} txs)`, `<= ${m.flags.targetDiskRatio} x ${m.tx_bytes_mean} B`, `${m.disk.bytes_per_tx} B`, m.disk.ratio_to_tx_bytes, m.disk.pass],
        [name === 'million_nocache' ? `${prefix}RSS after ${m.committed} txs` : `node RSS after ${m.committed} txs`, `<= ${m.flags.targetRssMb} MB`, `${m.rss.rss_final_mb} MB`, m.rss.ratio_to_target, m.rss.pass],
      ];
    }
    default:
      return [];
  }
}
