// The peer a user would otherwise pick, run in the same suite: the PostgreSQL hash-chained audit log
// of ../shared/peers/pg-hashchain (a throw-away cluster; Ed25519-verified entries, SHA-256 chained,
// inserted in batches per transaction with fsync on). It prints one JSON line.
import { spawn } from 'node:child_process';
import { BenchFailure, log } from '../lib/cli.js';
import { ROOT_DIR } from '../lib/paths.js';

export const PEER_SCRIPT = '../shared/peers/pg-hashchain/run.sh';

export interface PeerResult {
  peer: string;
  n: number;
  batch: number;
  seconds: number;
  tx_per_s: number;
}

const isPeerResult = (x: unknown): x is PeerResult => typeof x === 'object' && x !== null && typeof (x as PeerResult).tx_per_s === 'number' && typeof (x as PeerResult).n === 'number';

/** `bash ../shared/peers/pg-hashchain/run.sh N BATCH` from the project's root; its JSON line. */
export function runPgPeer(n: number, batch: number, timeoutS: number): Promise<PeerResult> {
  log(`[ledger] peer: bash ${PEER_SCRIPT} ${n} ${batch}`);
  return new Promise((resolve, reject) => {
    const c = spawn('bash', [PEER_SCRIPT, String(n), String(batch)], { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => c.kill('SIGTERM'), timeoutS * 1000);
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', (e) => reject(new BenchFailure(`the peer did not start: ${e.message}`)));
    c.on('exit', (code, sig) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      let parsed: unknown;
      try {
        parsed = line === undefined ? undefined : JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (code === 0 && isPeerResult(parsed)) {
        log(`[ledger] peer: ${parsed.tx_per_s} entries/s (${parsed.n} in ${parsed.seconds} s, batches of ${parsed.batch})`);
        resolve(parsed);
      }
      else reject(new BenchFailure(`the peer exited (${sig ?? code}) without its JSON line: ${(err || out).trim().slice(-600)}`));
    });
  });
}
