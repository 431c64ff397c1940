import type { QuickJSInternals } from './internals.js';
import type { Sandbox } from './sandbox.js';

/**
 * Idle sandboxes kept for reuse, by code hash, at most `max` of them: putting one more away
 * disposes the one idle longest. A sandbox in use is never here, so a contract that re-enters
 * itself through a nested call gets a second sandbox. What the pool holds is a function of the calls
 * made through it and nothing else; and since a reused sandbox gives the same outcome as a new one
 * (sandbox.ts), which one a call gets changes its speed only.
 */
export class SandboxPool {
  private readonly idle: { readonly hash: string; readonly sandbox: Sandbox }[] = [];

  constructor(private readonly max: number) {}

  /** An idle sandbox for the code, in the engine's current instance (after a fault, everything kept is dropped). */
  take(hash: string, current: QuickJSInternals): Sandbox | undefined {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const e = this.idle[i]!;
      if (e.sandbox.internals !== current) {
        this.clear();
        return undefined;
      }
      if (e.hash === hash) {
        this.idle.splice(i, 1);
        return e.sandbox;
      }
    }
    return undefined;
  }

  put(hash: string, sandbox: Sandbox): void {
    this.idle.push({ hash, sandbox });
    while (this.idle.length > this.max) this.idle.shift()!.sandbox.dispose();
  }

  /** Disposes every idle sandbox (a block starts or ends, or the engine faulted). */
  clear(): void {
    const all = this.idle.splice(0);
    for (const e of all) {
      try {
        e.sandbox.dispose();
      } catch {
        // a sandbox that cannot be freed belongs to an instance the next call will find faulted
      }
    }
  }

  get size(): number {
    return this.idle.length;
  }
}
