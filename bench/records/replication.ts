// Replication of a write, measured without slowing its writer: on each of the 3 other nodes,
// GET /v1/records/<rec> (unauthenticated metadata) every --repl-poll-ms until the version and its
// content hash are there (committed there), then a read of that version as the patient through that
// node's API (the signed GET; the bytes are hash-checked, not decrypted: client crypto is not
// replication) every --repl-poll-ms until it succeeds.
import { createHash } from 'node:crypto';
import type { ReadResponse, SalusClient, Wallet } from '@salus/client';
import { errCode } from '../lib/cli.js';
import { CHAIN_ID } from '../lib/genesis.js';
import { HttpError, type GetJson } from '../lib/http.js';
import { sleep } from '../lib/processes.js';
import { BenchError, countInto, now } from './util.js';

/** The parts of GET /v1/records/<rec> the benchmark reads. */
export interface RecordMeta {
  versions: { content: string; size: number; envelopes: unknown[] }[];
}

export interface ProbeResult {
  j: number;
  tMeta: number | null;
  tRead: number | null;
  readTries: number;
  lastReadMs: number | null;
}

/** One committed write of the write phase, and what its replication probe found. */
export interface Write {
  k: number;
  node: number;
  org: number;
  p: number;
  t0: number;
  t1: number;
  record: string;
  version: number;
  height: number;
  probeErrors: Record<string, number>;
  content?: string;
  repl?: ProbeResult[];
  probeFailure?: string;
}

export interface ReplicationDeps {
  readonly getJson: GetJson;
  readonly url: (i: number) => string;
  readonly clients: readonly SalusClient[];
  readonly nodeIds: readonly string[];
  readonly patientWallets: readonly Wallet[];
  readonly pollMs: number;
}

/** Probes write `w` on the nodes it was not written through; sets w.content and w.repl. */
export async function probeReplication(d: ReplicationDeps, w: Write): Promise<void> {
  const others = [0, 1, 2, 3].filter((j) => j !== w.node);
  w.content = (await d.getJson<RecordMeta>(`${d.url(w.node)}/v1/records/${w.record}`)).versions[w.version - 1]!.content;
  const content = w.content;
  const deadline = w.t1 + 30_000;
  w.repl = await Promise.all(
    others.map(async (j): Promise<ProbeResult> => {
      let tMeta: number | null = null;
      let tRead: number | null = null;
      let readTries = 0;
      while (now() < deadline) {
        try {
          const meta = await d.getJson<RecordMeta>(`${d.url(j)}/v1/records/${w.record}`, 5000);
          const v = meta.versions?.[w.version - 1];
          if (v) {
            if (v.content !== content) throw new BenchError('HASH_MISMATCH', `node ${j} names content ${v.content} for ${w.record} v${w.version}, node ${w.node} ${content}`);
            tMeta = now();
            break;
          }
        } catch (e) {
          if (!(e instanceof HttpError && e.status === 404)) throw e;
        }
        await sleep(d.pollMs);
      }
      let tTry: number | null = null;
      while (tMeta !== null && now() < deadline) {
        readTries++;
        tTry = now();
        try {
          // the read as the patient, without decrypting here (the client's crypto is not replication):
          // served = the node returns the ciphertext and it hashes to the content hash on the ledger
          const path = `/v1/records/${w.record}/versions/${w.version}`;
          const authorization = d.patientWallets[w.p]!.authorization(CHAIN_ID, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: d.nodeIds[j]! });
          const res = await d.clients[j]!.request<ReadResponse>('GET', path, { headers: { authorization } });
          if (createHash('sha256').update(Buffer.from(res.content.bytes, 'base64')).digest('hex') !== content) throw new BenchError('HASH_MISMATCH', `node ${j} served bytes that do not hash to the content hash`);
          tRead = now();
          break;
        } catch (e) {
          countInto(w.probeErrors, errCode(e));
        }
        await sleep(d.pollMs);
      }
      return { j, tMeta, tRead, readTries, lastReadMs: tRead === null || tTry === null ? null : tRead - tTry };
    }),
  );
}
