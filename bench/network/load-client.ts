// A load client of the network benchmark: a child process (forked by network/clients.ts, this file
// compiled). Reads its slice of the pre-signed transaction file and submits as told over IPC
// (POST /v1/txs?wait=none, application/cbor, keep-alive); reports [hash, submit time, ack time,
// scheduled time] of every acknowledged one.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { SLICE_ENV, type AckRecord, type ClientCommand, type ClientEvent, type ClientStats, type Mode, type Slice } from './ipc.js';

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const send = (m: ClientEvent, done?: () => void): void => void process.send!(m, undefined, undefined, done);

interface Tx {
  bytes: Buffer;
  hash: string;
}

const { file, from, to } = JSON.parse(process.env[SLICE_ENV] ?? '{}') as Slice;
const fd = openSync(file, 'r');
const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
let pos = from;
let have = 0;
let off = 0;
const refill = (): void => {
  buf.copy(buf, 0, off, have);
  have -= off;
  off = 0;
  const want = Math.min(buf.length - have, to - pos);
  if (want <= 0) return;
  const n = readSync(fd, buf, have, want, pos);
  pos += n;
  have += n;
};
const nextFromFile = (): Tx | undefined => {
  if (have - off < 2 || have - off < 2 + buf.readUInt16BE(off)) refill();
  if (have - off < 2) return undefined;
  const len = buf.readUInt16BE(off);
  if (have - off < 2 + len) return undefined;
  const bytes = Buffer.from(buf.subarray(off + 2, off + 2 + len));
  off += 2 + len;
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let mode: Mode = 'idle';
let targets: string[] = [];
let concurrency = 64;
let window = 5000;
let rate = 0;
let inflight = 0;
let acked = 0;
let committed = 0;
let exhausted = false;
let pausedUntil = 0;
let pauseTimer: NodeJS.Timeout | undefined;
let openT0 = 0;
let openSent = 0;
let openTimer: NodeJS.Timeout | undefined;
let rr = 0;
const retry: Tx[] = [];
const badUntil = new Map<string, number>();
const stats: ClientStats = { sent: 0, ok: 0, mempool_full: 0, conn_errors: 0, already_known: 0, rejected: {}, open_behind: 0 };
let recs: AckRecord[] = [];

const pick = (): string => {
  const t = now();
  for (let k = 0; k < targets.length; k++) {
    const u = targets[rr++ % targets.length]!;
    if (!((badUntil.get(u) ?? 0) > t)) return u;
  }
  return targets[rr++ % targets.length]!;
};
const post = (u: string, bytes: Buffer): Promise<{ status: number | undefined; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const url = new URL(u);
    const req = http.request(
      { host: url.hostname, port: url.port, path: '/v1/txs?wait=none', method: 'POST', agent, headers: { 'content-type': 'application/cbor', 'content-length': bytes.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
const next = (): Tx | undefined => retry.shift() ?? nextFromFile();
const markExhausted = (): void => {
  if (!exhausted && retry.length === 0) {
    exhausted = true;
    send({ ev: 'exhausted' });
  }
};

function submit(tx: Tx, tSched?: number): void {
  inflight++;
  stats.sent++;
  const u = pick();
  const t0 = now();
  post(u, tx.bytes).then(
    ({ status, body }) => {
      inflight--;
      if (status === 202) {
        acked++;
        stats.ok++;
        recs.push([tx.hash, t0, now(), tSched ?? t0]);
      } else {
        let code = `HTTP_${status}`;
        try {
          code = (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
        } catch {
          // not a JSON error
        }
        if (code === 'MEMPOOL_FULL') {
          stats.mempool_full++;
          retry.push(tx);
          pausedUntil = now() + 25;
        } else if (code === 'CONFLICT' || code === 'NONCE_REPLAYED') {
          // a retry of a transaction a node had admitted before its connection failed (then gossiped)
          acked++;
          stats.already_known++;
          recs.push([tx.hash, t0, now(), tSched ?? t0]);
        } else stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
      }
      pump();
    },
    () => {
      inflight--;
      stats.conn_errors++;
      badUntil.set(u, now() + 500);
      retry.push(tx);
      pump();
    },
  );
}

function pump(): void {
  if (mode !== 'closed') return;
  const t = now();
  if (t < pausedUntil) {
    if (!pauseTimer)
      pauseTimer = setTimeout(() => {
        pauseTimer = undefined;
        pump();
      }, pausedUntil - t);
    return;
  }
  while (inflight < concurrency && acked - committed + inflight < window) {
    const tx = next();
    if (!tx) return markExhausted();
    submit(tx);
  }
}

function openTick(): void {
  openTimer = undefined;
  if (mode !== 'open') return;
  const due = Math.floor((rate * (now() - openT0)) / 1000) - openSent;
  for (let i = 0; i < due; i++) {
    const tSched = openT0 + (openSent * 1000) / rate;
    openSent++;
    if (inflight >= 4096) {
      stats.open_behind++;
      continue;
    }
    const tx = next();
    if (!tx) {
      markExhausted();
      break;
    }
    submit(tx, tSched);
  }
  openTimer = setTimeout(openTick, 2);
}

const flush = (): void => {
  if (recs.length > 0) {
    send({ ev: 'recs', recs });
    recs = [];
  }
};
const flushTimer = setInterval(flush, 40);

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ClientCommand) => {
  void (async () => {
    if (m.cmd === 'mode') {
      mode = m.mode;
      if (m.targets) targets = m.targets;
      if (m.concurrency) concurrency = m.concurrency;
      if (m.window) window = m.window;
      if (m.mode === 'open') {
        rate = m.rate ?? 0;
        openT0 = now();
        openSent = 0;
        if (!openTimer) openTick();
      }
      pump();
    } else if (m.cmd === 'targets') {
      targets = m.targets;
      pump();
    } else if (m.cmd === 'committed') {
      committed = m.n;
      pump();
    } else if (m.cmd === 'stop') {
      mode = 'idle';
      const end = now() + 5000;
      while (inflight > 0 && now() < end) await sleep(10);
      flush();
      clearInterval(flushTimer);
      closeSync(fd);
      agent.destroy();
      send({ ev: 'final', stats: { ...stats, acked, inflight_at_stop: inflight, retry_queue: retry.length, exhausted } }, () => process.exit(0));
    }
  })();
});
send({ ev: 'ready' });
