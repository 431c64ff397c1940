import { type Ed25519, utf8ToBytes } from '@salus/core';
import { Application, type AppModule } from '@salus/module';
import type { StateStore } from '../state/store.js';
import { identityModule } from '@salus/identity';
import { governanceModule } from '@salus/governance';
import { evidenceModule } from '@salus/evidence';
import { recordsModule } from '../modules/records/module.js';

/** The module registry: the installed modules, in the order their hooks run. Adding a module is one line here. */
export const MODULES: readonly AppModule[] = [identityModule, governanceModule, evidenceModule, recordsModule];

export function createApplication(chainId: string, ed: Ed25519, state: StateStore, modules: readonly AppModule[] = MODULES): Application {
  return new Application({ chainId, modules, ed, committed: { getRaw: (key: string) => state.get(utf8ToBytes(key)) } });
}
