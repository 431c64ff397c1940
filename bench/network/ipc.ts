// The messages between the network benchmark and its load clients (child processes, over IPC).

export type Mode = 'idle' | 'closed' | 'open';

/** What the bench process tells a load client. */
export type ClientCommand =
  | { cmd: 'mode'; mode: Mode; targets?: string[]; concurrency?: number; window?: number; rate?: number }
  | { cmd: 'targets'; targets: string[] }
  | { cmd: 'committed'; n: number }
  | { cmd: 'stop' };

/** One acknowledged transaction: [hash, submit time, ack time, scheduled time] (wall-clock ms). */
export type AckRecord = [string, number, number, number];

export interface ClientStats {
  sent: number;
  ok: number;
  mempool_full: number;
  conn_errors: number;
  already_known: number;
  rejected: Record<string, number>;
  open_behind: number;
}
export interface ClientFinal extends ClientStats {
  acked: number;
  inflight_at_stop: number;
  retry_queue: number;
  exhausted: boolean;
}

/** What a load client reports. */
export type ClientEvent = { ev: 'ready' } | { ev: 'recs'; recs: AckRecord[] } | { ev: 'exhausted' } | { ev: 'final'; stats: ClientFinal };

/** The environment variable that hands a load client its slice of the transaction file. */
export const SLICE_ENV = 'SALUS_BENCH_NET_SLICE';
export interface Slice {
  file: string;
  from: number;
  to: number;
}
