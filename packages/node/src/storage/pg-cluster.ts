import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SalusError } from '@salus/core';

/**
 * A throw-away PostgreSQL cluster for tests and benchmarks (never for a node's data): `initdb` in
 * a temporary directory, `pg_ctl start` on a free loopback port with its socket in that directory,
 * trust authentication for the `postgres` user; `stop()` stops it immediately and removes it.
 * As root, the directory is given to the `postgres` account and the binaries run as it (the
 * server refuses to run as root).
 */
export interface PgCluster {
  readonly port: number;
  /** a storage URL for a node's schema in this cluster's `postgres` database */
  url(schema: string): string;
  stop(): void;
}

/** The newest installed server binaries (Debian's layout), or undefined. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  return versions.length === 0 ? undefined : join(root, versions.at(-1)!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new SalusError('CONFIG', 'PostgreSQL server binaries are not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'salus-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  const data = join(dir, 'data');
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    const port = await freePort();
    // fsync stays on: the benchmark measures durable commits, as the embedded store makes them
    run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), '-w', 'start']);
    return { port, url: (schema) => `postgres://postgres@127.0.0.1:${port}/postgres?schema=${schema}`, stop };
  } catch (e) {
    stop();
    const err = e as Error & { stderr?: Buffer };
    throw new SalusError('CONFIG', `cannot start a throw-away PostgreSQL cluster: ${err.stderr?.toString().trim() || err.message}`);
  }
}
