import { systemClock, type Clock } from '@salus/consensus';

/**
 * A node clock the test moves instead of sleeping: `now()` is the host's time plus an offset that
 * only grows; timers are the host's (consensus, the disclosure flush and the height waits keep
 * running at their real pace). A jump moves block time too (the solo producer stamps blocks with
 * `now()`), so a test that jumps should see a block commit after it.
 */
export interface FakeClock extends Clock {
  /** how far ahead of the host's clock this one is, ms */
  readonly offset: number;
  advance(ms: number): void;
}

export function fakeClock(): FakeClock {
  let offset = 0;
  return {
    get offset() {
      return offset;
    },
    now: () => systemClock.now() + offset,
    setTimeout: systemClock.setTimeout,
    clearTimeout: systemClock.clearTimeout,
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError('the fake clock only moves forward (block time may not go back)');
      offset += ms;
    },
  };
}
