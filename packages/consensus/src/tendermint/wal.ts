import type { TendermintEffect, TendermintInput } from './io.js';
import type { Tendermint } from './machine.js';

/**
 * The write-ahead log of a validator's consensus inputs (CometBFT's wal.go). Contract:
 *  - the driver appends every input, durably, BEFORE handing it to `handle`;
 *  - `read` returns, in order, at least every input from the last `newHeight` on (older entries
 *    may be discarded once a newHeight is appended: replay starts from it).
 * With that, and a Signer that re-signs bytes it signed before, `replay` rebuilds the state the
 * node had when it stopped, whatever the point at which it was killed.
 */
export interface Wal {
  append(input: TendermintInput): void;
  read(): readonly TendermintInput[];
}

/** An in-memory WAL that keeps the inputs from the last newHeight on. */
export class MemoryWal implements Wal {
  private entries: TendermintInput[] = [];

  append(input: TendermintInput): void {
    if (input.kind === 'newHeight') this.entries = [];
    this.entries.push(input);
  }

  read(): readonly TendermintInput[] {
    return this.entries;
  }
}

/**
 * Feeds the inputs to a fresh machine and returns every effect they produced. The driver executes
 * them again idempotently: broadcasts are re-sent (peers drop copies), timers re-armed (stale ones
 * are ignored by the machine), a decide for a height already stored is skipped, a getValue whose
 * round has passed gets a value the machine ignores.
 */
export function replay(machine: Tendermint, inputs: readonly TendermintInput[]): TendermintEffect[] {
  const effects: TendermintEffect[] = [];
  for (const input of inputs) effects.push(...machine.handle(input));
  return effects;
}
