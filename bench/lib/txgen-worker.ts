// A generator thread of txgen.ts: signs transactions [from, to) of a workload and posts them back,
// or writes them to its part file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { adminKeys } from './keys.js';
import type { GenJob } from './txgen.js';
import { encodeTxRecords } from './txfile.js';
import { makeTxs } from './txs.js';

function run({ workload, from, to, adminCount, file }: GenJob): void {
  const port = parentPort!;
  const admins = adminKeys(adminCount);
  if (!file) {
    port.postMessage(makeTxs(workload, from, to, admins));
    return;
  }
  const fd = openSync(file, 'w');
  const chunk = 10_000;
  for (let a = from; a < to; a += chunk) writeSync(fd, encodeTxRecords(makeTxs(workload, a, Math.min(to, a + chunk), admins)));
  closeSync(fd);
  port.postMessage(true);
}

const job = workerData as GenJob | undefined;
if (parentPort && job?.job === 'gen') run(job);
