// The validators' HTTP API as the benchmarks read it: JSON GETs, heights, agreement.
import http from 'node:http';
import { fail, messageOf } from './cli.js';
import { nodeFreePortRange } from './internals.js';
import { sleep } from './processes.js';

/** An HTTP error of a JSON GET: the status and the body's error code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** GET url → the parsed body of a 200, typed by the caller; other statuses reject with an HttpError. */
export type GetJson = <T>(url: string, timeoutMs?: number) => Promise<T>;

/** The parts of GET /v1/status the benchmarks read. */
export interface NodeStatus {
  height: number;
  mempool?: { size: number };
  consensus?: { round?: number; peerHeights?: Record<string, number> };
}

/** The parts of GET /v1/blocks/:h the benchmarks read. */
export interface BlockView {
  height: number;
  header: { hash: string; time: number };
  commit: { round: number; signatures: { validator: string }[] };
  txs: { hash: string }[];
}

function errorCodeOf(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON GET over `agent` (timeout 5 s unless told). */
export function jsonGetter(agent: http.Agent): GetJson {
  return <T>(u: string, timeoutMs = 5000) =>
    new Promise<T>((resolve, reject) => {
      const req = http.get(u, { agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const body = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) return reject(new HttpError(`${u}: HTTP ${res.statusCode} ${body.slice(0, 200)}`, res.statusCode, errorCodeOf(body)));
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(e instanceof Error ? e : new HttpError(messageOf(e), res.statusCode, undefined));
          }
        });
      });
      req.on('timeout', () => req.destroy(new HttpError(`${u}: timeout`, undefined, 'TIMEOUT')));
      req.on('error', reject);
    });
}

/** The committed height a node's API reports (GET <apiUrl>/v1/status, 2 s timeout), or -1. */
export const heightAt = (getJson: GetJson, apiUrl: string): Promise<number> =>
  getJson<NodeStatus>(`${apiUrl}/v1/status`, 2000).then(
    (s) => s.height,
    () => -1,
  );

/** Waits until every API in `apiUrls` reports height >= minHeight; fails the benchmark after timeoutMs. */
export async function waitForHeight(getJson: GetJson, apiUrls: readonly string[], minHeight = 2, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await Promise.all(apiUrls.map((u) => heightAt(getJson, u)))).every((h) => h >= minHeight)) {
    if (Date.now() > end) fail(`the ${apiUrls.length} validators did not commit ${minHeight} blocks within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

export interface Consistency {
  heights: number[];
  common_height: number;
  same_block_hash_at_common_height: boolean;
}

/**
 * Whether the nodes agree: their heights, the lowest of them, and whether every node returns the same
 * block hash at that height (a node whose block cannot be read counts as disagreeing).
 */
export async function chainConsistency(getJson: GetJson, apiUrls: readonly string[], blockTimeoutMs = 5000): Promise<Consistency> {
  const heights = await Promise.all(apiUrls.map((u) => heightAt(getJson, u)));
  const common = Math.min(...heights);
  const hashes = await Promise.all(
    apiUrls.map((u) =>
      getJson<BlockView>(`${u}/v1/blocks/${common}`, blockTimeoutMs).then(
        (b) => b.header.hash,
        () => null,
      ),
    ),
  );
  return { heights, common_height: common, same_block_hash_at_common_height: new Set(hashes).size === 1 && hashes[0] !== null };
}

/** The first of `count` consecutive TCP ports free on 127.0.0.1, below the ephemeral range (fails the benchmark if none). */
export async function freePortRange(count: number): Promise<number> {
  try {
    return await nodeFreePortRange(count);
  } catch (e) {
    fail(messageOf(e));
  }
}
