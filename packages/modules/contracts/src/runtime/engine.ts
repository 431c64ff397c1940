import { newQuickJSWASMModule, RELEASE_SYNC } from 'quickjs-emscripten';
import { contractError } from '../errors.js';
import { QuickJSInternals } from './internals.js';

/** Signals that the WebAssembly instance faulted outside QuickJS (the caller replaces it). */
export class EngineFault {
  constructor(readonly cause: unknown) {}
}

async function load(): Promise<QuickJSInternals> {
  return QuickJSInternals.load(await newQuickJSWASMModule(RELEASE_SYNC));
}

/**
 * The WebAssembly instance QuickJS runs in, owned by one ContractRuntime and its views (not the
 * process-wide `getQuickJS()` singleton, so nothing else shares its heap), with its memory layout
 * checked (internals.ts). If the instance ever faults from outside QuickJS's own checks (V8's
 * native stack overflowing inside it, a trap), its heap may be half-updated: it is dropped, with
 * every sandbox in it, and a spare, loaded in the background, takes its place.
 */
export class Engine {
  private spare: QuickJSInternals | undefined;
  private loading: Promise<void> | undefined;

  private constructor(private current: QuickJSInternals | undefined) {
    this.loadSpare();
  }

  static async create(): Promise<Engine> {
    return new Engine(await load());
  }

  instance(): QuickJSInternals {
    if (!this.current) throw contractError('CONTRACT_INTERNAL', 'the contract engine is being replaced after a fault; retry shortly');
    return this.current;
  }

  /** Drops the faulted instance (its sandboxes are never used or freed again); the spare, if loaded, serves the next call. */
  poison(): void {
    if (this.current) this.current.poisoned = true;
    this.current = this.spare;
    this.spare = undefined;
    this.loadSpare();
  }

  /** Resolves once a healthy instance is in place (after a fault). */
  async ready(): Promise<void> {
    while (!this.current) {
      await this.loading;
      if (!this.current && this.spare) this.poison();
    }
  }

  private loadSpare(): void {
    if (this.loading) return;
    this.loading = load().then(
      (m) => {
        this.loading = undefined;
        if (this.current) this.spare = m;
        else {
          this.current = m;
          this.loadSpare();
        }
      },
      () => {
        this.loading = undefined;
      },
    );
  }
}
