import { type Ed25519, utf8Decode, utf8ToBytes } from '@salus/core';
import { Application, type AppModule } from '@salus/module';
import type { StateStore } from '../state/store.js';
import { identityModule } from '@salus/identity';
import { governanceModule } from '@salus/governance';
import { evidenceModule } from '@salus/evidence';
import { recordsModule } from '@salus/records';
import { contractsModule } from '@salus/contracts';
import { anchorsModule } from '@salus/anchors';
import { channelsModule } from '@salus/channels';
import { supplyModule } from '@salus/supply';

/** The module registry: the installed modules, in the order their hooks run. Adding a module is one line here. */
export const MODULES: readonly AppModule[] = [identityModule, governanceModule, evidenceModule, recordsModule, contractsModule, anchorsModule, channelsModule, supplyModule];

export function createApplication(chainId: string, ed: Ed25519, state: StateStore, modules: readonly AppModule[] = MODULES): Application {
  const committed = {
    getRaw: (key: string) => state.get(utf8ToBytes(key)),
    listRaw: (prefix: string, o: { after?: string; limit: number }): [string, Uint8Array][] =>
      state.list(utf8ToBytes(prefix), o.after === undefined ? undefined : utf8ToBytes(o.after), o.limit).map((e) => [utf8Decode(e.key), e.value]),
  };
  return new Application({ chainId, modules, ed, committed });
}
