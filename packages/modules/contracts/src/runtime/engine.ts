import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import { contractError } from '../errors.js';

/**
 * The WebAssembly instance QuickJS runs in, owned by one ContractRuntime (not the process-wide
 * `getQuickJS()` singleton, so nothing else shares its heap). If the instance ever faults from
 * outside QuickJS's own checks (V8's native stack overflowing inside it, a trap), its heap may be
 * half-updated: it is dropped and a spare, loaded in the background, takes its place.
 */
export class Engine {
  private spare: QuickJSWASMModule | undefined;
  private loading: Promise<void> | undefined;

  private constructor(private current: QuickJSWASMModule | undefined) {
    this.loadSpare();
  }

  static async create(): Promise<Engine> {
    return new Engine(await newQuickJSWASMModule(RELEASE_SYNC));
  }

  module(): QuickJSWASMModule {
    if (!this.current) throw contractError('CONTRACT_INTERNAL', 'the contract engine is being replaced after a fault; retry shortly');
    return this.current;
  }

  /** Drops the faulted instance; the spare (if loaded) serves the next call. */
  poison(): void {
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
    this.loading = newQuickJSWASMModule(RELEASE_SYNC).then(
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
