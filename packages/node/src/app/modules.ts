import { type Ed25519, utf8ToBytes } from '@salus/core';
import { Application } from './application.js';
import type { Module } from './module.js';
import type { StateStore } from '../state/store.js';
import { identityModule, isActiveSigner } from '../modules/identity/module.js';
import { governanceModule } from '../modules/governance/module.js';
import { evidenceModule } from '../modules/evidence/module.js';
import { recordsModule } from '../modules/records/module.js';

/** The installed modules, in one list: adding a domain is adding its folder and one line here. */
export const MODULES: readonly Module[] = [identityModule, governanceModule, evidenceModule, recordsModule];

export function createApplication(chainId: string, ed: Ed25519, state: StateStore): Application {
  return new Application({
    chainId,
    modules: MODULES,
    ed,
    committed: { getRaw: (key: string) => state.get(utf8ToBytes(key)) },
    isActiveSigner,
  });
}
