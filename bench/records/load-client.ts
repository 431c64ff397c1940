// A read-load client of the records benchmark: a child process (forked by records/read-loops.ts,
// this file compiled) running a closed loop against one node, as told over IPC.
import { RecordsClient, SalusClient, Wallet, type ReadResponse } from '@salus/client';
import { errCode } from '../lib/cli.js';
import { createNativeEd25519, createNativeKeyWrap } from '../lib/native-crypto.js';
import { sleep } from '../lib/processes.js';
import { WEB_HPKE_ENV, type LoadEvent, type RunCommand } from './ipc.js';
import { BenchError, countInto, now } from './util.js';

const ed = createNativeEd25519();
const kw = process.env[WEB_HPKE_ENV] === '1' ? undefined : createNativeKeyWrap();
const send = (m: LoadEvent): void => void process.send!(m);

async function run(m: RunCommand): Promise<void> {
  const client = new SalusClient({ url: m.url, ed });
  const rcs = m.readers.map((r) => new RecordsClient(client, Wallet.import(r.wallet, ed, kw), { orgWallet: Wallet.import(r.org, ed, kw) }));
  const items = m.items;
  let next = 0;
  const op = async (w: number): Promise<void> => {
    const i = next++;
    const it = items[i % items.length]!;
    if (m.kind === 'read') {
      const r = await rcs[(i + w) % rcs.length]!.read(it.record, { version: it.version });
      if (r.basis !== 'grant') throw new BenchError('UNEXPECTED_BASIS', `basis ${r.basis}, not grant`);
    } else if (m.kind === 'read_node') {
      // the node's part of a read only: the same signed GET, no unwrap/decrypt in the client
      const r = rcs[(i + w) % rcs.length]!;
      const path = `/v1/records/${it.record}/versions/${it.version}`;
      const authorization = r.wallet.authorization(m.chainId, { method: 'GET', path, purpose: 'treatment', bodyHash: '', aud: m.aud });
      const res = await client.request<ReadResponse>('GET', path, { headers: { authorization } });
      if (res.basis !== 'grant') throw new BenchError('UNEXPECTED_BASIS', `basis ${res.basis}, not grant`);
    } else if (m.kind === 'status') await client.status();
    else if (m.kind === 'meta') await client.request('GET', `/v1/records/${it.record}`);
  };
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  let okTotal = 0; // successful operations including the warm-up
  let servedButFailed = 0; // the node answered 200 but the client refused the answer (for reads: disclosed anyway)
  const t0 = now();
  const tWarmEnd = t0 + m.warmupMs;
  const tGiveUp = tWarmEnd + 30_000; // the warm-up never completed (every read failing): stop anyway
  let tMeasure = Infinity;
  let tEnd = Infinity;
  let cpu0 = process.cpuUsage();
  // the warm-up lasts warmupMs and reads every item at least once (blobs local, keys cached, JIT warm)
  let warmed = !m.kind.startsWith('read');
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const ts = now();
      if (tMeasure === Infinity && ts >= tWarmEnd && (warmed || ts >= tGiveUp)) {
        tMeasure = ts;
        tEnd = ts + m.durationMs;
        cpu0 = process.cpuUsage();
        send({ ev: 'measuring' });
      }
      if (ts >= tEnd) return;
      try {
        await op(w);
        okTotal++;
        if (ts >= tMeasure) lat.push(now() - ts);
      } catch (e) {
        const c = errCode(e);
        countInto(errors, c);
        if (['HASH_MISMATCH', 'DECRYPTION_FAILED', 'UNEXPECTED_BASIS', 'MALFORMED_ENCODING'].includes(c)) servedButFailed++;
        await sleep(5);
      }
      if (!warmed && next >= items.length) warmed = true;
    }
  };
  // measured: operations started in [tMeasure, tMeasure + durationMs)
  await Promise.all(Array.from({ length: m.concurrency }, (_, w) => worker(w)));
  const cpu = process.cpuUsage(cpu0);
  send({ ev: 'done', lat, errors, okTotal, servedButFailed, cpuMs: (cpu.user + cpu.system) / 1000 });
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: RunCommand) => {
  if (m.cmd === 'run') void run(m);
});
send({ ev: 'ready' });
