import { contractError } from '../errors.js';
import type { GasSchedule } from '../limits.js';

/**
 * Gas and the first fatal failure of one call. Fatal failures (out of gas, a refused value, a
 * failed role check, a failed nested call) are sticky: the contract may catch the exception the
 * host throws into it, but the call still fails with the recorded error, every later host call
 * throws again, and the interrupt handler stops the interpreter at its next tick.
 */
export class Meter {
  private ticks = 0;
  private hostGas = 0;
  fatal: unknown = undefined;

  constructor(
    readonly limit: number,
    readonly prices: GasSchedule,
    readonly metered: boolean,
  ) {
    this.hostGas = metered ? prices.perCall : 0;
    if (this.used() > limit) this.fatal = this.outOfGas();
  }

  used(): number {
    return this.metered ? this.ticks * this.prices.perTick + this.hostGas : 0;
  }

  /** What the call reports: the limit when it ran out. */
  reported(): number {
    return Math.min(this.used(), this.limit);
  }

  remaining(): number {
    return Math.max(0, this.limit - this.used());
  }

  /** The interrupt handler: true stops the interpreter (an uncatchable error inside the sandbox). */
  tick(): boolean {
    if (this.fatal !== undefined) return true;
    this.ticks++;
    if (this.used() > this.limit) {
      this.fatal = this.outOfGas();
      return true;
    }
    return false;
  }

  /** Charges host work; throws (and records) OUT_OF_GAS past the limit. */
  charge(gas: number): void {
    this.throwIfFatal();
    if (!this.metered) return;
    this.hostGas += gas;
    if (this.used() > this.limit) this.fail(this.outOfGas());
  }

  /** Adds gas already spent elsewhere (a failed nested call), without failing here: the caller reports that failure. */
  absorb(gas: number): void {
    if (this.metered) this.hostGas += gas;
  }

  fail(e: unknown): never {
    if (this.fatal === undefined) this.fatal = e;
    throw this.fatal;
  }

  throwIfFatal(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }

  private outOfGas(): unknown {
    return contractError('OUT_OF_GAS', `the call needs more than ${this.limit} gas`, { gasLimit: this.limit });
  }
}
