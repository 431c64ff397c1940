import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's range for ephemeral (outgoing) ports. A port chosen for a listener inside it can be
 * taken by any outgoing connection between the moment it is found free and the moment it is bound,
 * so listeners that are bound late (a node restarted, a follower added) must stay out of it.
 */
export function ephemeralPortRange(): readonly [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!];
  } catch {
    // not Linux: the IANA dynamic range, which macOS and Windows use
  }
  return [49_152, 65_535];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive TCP ports free on 127.0.0.1, chosen at random between 10000 and
 * the start of the ephemeral range, for tests and benchmarks that start real nodes.
 */
export async function freePortRange(count: number, attempts = 50): Promise<number> {
  const [ephemeralLo] = ephemeralPortRange();
  const lo = 10_000;
  const span = Math.max(1, ephemeralLo - count - lo);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = lo + Math.floor(Math.random() * span);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new TypeError(`no ${count} consecutive free ports found below the ephemeral range`);
}
