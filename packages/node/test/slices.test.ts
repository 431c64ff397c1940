import { describe, expect, it } from 'vitest';
import { Slices } from '@salus/fhir';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('Slices', () => {
  it('lets I/O callbacks run during a long pass of awaits that never wait', async () => {
    let ranAt = -1;
    setImmediate(() => (ranAt = step));
    const slices = new Slices(5);
    let step = 0;
    for (; step < 40; step++) {
      busy(1);
      await Promise.resolve(); // what an in-memory pass awaits: it does not reach the event loop
      await slices.next();
    }
    // it ran during the pass (at step 0 when the machine stalled more than a slice before the first step)
    expect(ranAt).toBeGreaterThanOrEqual(0);
    expect(ranAt).toBeLessThan(15); // within a slice or two of 5 ms (each step takes at least 1 ms), not at the end of 40 ms
  });

  it('does not yield within a slice', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    const slices = new Slices(10_000);
    for (let i = 0; i < 100; i++) await slices.next();
    expect(ran).toBe(false);
  });
});
