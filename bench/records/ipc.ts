// The messages between the records benchmark and its read-load clients (child processes, over IPC).
import type { WalletJson } from '@salus/client';

export type LoopKind = 'read' | 'read_node' | 'status' | 'meta';

export interface ReadItem {
  record: string;
  version: number;
  p: number;
}

/** run a closed loop of `kind` against `url`: `concurrency` workers, a warm-up, then `durationMs` measured */
export interface RunCommand {
  cmd: 'run';
  kind: LoopKind;
  url: string;
  chainId: string;
  aud: string;
  readers: { wallet: WalletJson; org: unknown }[];
  items: ReadItem[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoopDone {
  ev: 'done';
  lat: number[];
  errors: Record<string, number>;
  okTotal: number;
  servedButFailed: number;
  cpuMs: number;
}

export type LoadEvent = { ev: 'ready' } | { ev: 'measuring' } | LoopDone;

/** Set (to '1') in a load client's environment: the SDK uses the WebCrypto HPKE a browser uses. */
export const WEB_HPKE_ENV = 'SALUS_BENCH_WEB_HPKE';
