// A consent poller of the records benchmark: one closed-loop reader on one node until done; after a
// grant, until a read succeeds; after a revoke, until CONSENT_REQUIRED (then a few more reads: once
// refused, a node must keep refusing).
import type { RecordsClient } from '@salus/client';
import { errCode } from '../lib/cli.js';
import { sleep } from '../lib/processes.js';
import { countInto, now } from './util.js';

export interface PollStatus {
  tFirstNonConsent: number | null;
  tSuccess: number | null;
  tRefused: number | null;
  servedAfterReceipt: number;
  servedAfterRefusal: number;
  errors: Record<string, number>;
  /** when the revoke's commit receipt came (set by the caller) */
  receiptAt: number;
}
export interface PollState extends PollStatus {
  done: Promise<PollStatus>;
}

export function pollNode(c: RecordsClient, record: string, mode: 'grant' | 'revoke', timeoutMs: number, pollMs: number): PollState {
  const st: PollStatus = { tFirstNonConsent: null, tSuccess: null, tRefused: null, servedAfterReceipt: 0, servedAfterRefusal: 0, errors: {}, receiptAt: Infinity };
  const done = (async (): Promise<PollStatus> => {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
      const ts = now();
      try {
        await c.read(record, { version: 1 });
        const te = now();
        if (mode === 'grant') {
          st.tFirstNonConsent ??= te;
          st.tSuccess = te;
          return st;
        }
        if (ts >= st.receiptAt) st.servedAfterReceipt++;
      } catch (e) {
        const code = errCode(e);
        countInto(st.errors, code);
        const te = now();
        if (mode === 'grant' && code !== 'CONSENT_REQUIRED') st.tFirstNonConsent ??= te;
        if (mode === 'revoke' && code === 'CONSENT_REQUIRED') {
          st.tRefused = te;
          for (let k = 0; k < 3; k++) {
            await sleep(pollMs);
            try {
              await c.read(record, { version: 1 });
              st.servedAfterRefusal++;
            } catch {
              // refused again, as it must be
            }
          }
          return st;
        }
      }
      await sleep(pollMs);
    }
    return st;
  })();
  return Object.assign(st, { done });
}
