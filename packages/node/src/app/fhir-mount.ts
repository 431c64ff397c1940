import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { toHex, type Ed25519, type IdentityKeys } from '@salus/core';
import type { WallClock } from '@salus/module';
import { activeKey } from '@salus/identity';
import type { RecordsService } from '@salus/records';
import { FhirAuth, FhirResources, FhirWriter, fhirRoutes } from '@salus/fhir';
import { Wallet } from '@salus/client';
import { createNativeKeyWrap } from '../crypto/native-hpke.js';
import { readKeyFile } from '../config/keyfile.js';
import type { Chain } from '../ledger/chain.js';
import type { BlockStore } from '../ledger/blockstore.js';

export interface FhirMountDeps {
  readonly chainId: string;
  readonly nodeKeys: IdentityKeys;
  readonly ed: Ed25519;
  readonly clock: WallClock;
  readonly log: Logger;
  readonly records: RecordsService;
  readonly chain: Chain;
  readonly blocks: BlockStore;
  readonly dataDir: string;
  readonly apiUrl: () => string;
  readonly requestsPerSecond: number;
}

/**
 * The FHIR facade on the node's API, answering as the organisation whose key file the node holds
 * (ADR 0006); off, with a warning, when that key is not an active member key.
 */
export function mountFhirFacade(api: FastifyInstance, orgKeyFile: string, d: FhirMountDeps): void {
  const orgKeys = readKeyFile(orgKeyFile);
  const view = () => d.records.readView();
  const adminKey = toHex(orgKeys.signing.publicKey);
  const org = activeKey(view(), adminKey)?.org;
  if (!org) {
    d.log.warn({ key: adminKey.slice(0, 16) }, 'FHIR facade off: the organisation key file is not an active member key');
    return;
  }
  const auth = new FhirAuth({ chainId: d.chainId, nodeKeys: d.nodeKeys, ed: d.ed, view, clock: d.clock, tokenUrl: () => `${d.apiUrl()}/fhir/R4/auth/token` });
  auth.routes(api);
  const keyWrap = createNativeKeyWrap();
  const resources = new FhirResources({ records: d.records.reader, view, clock: d.clock, org, orgKeys, orgAdminKey: adminKey, keyWrap, lastHeight: () => d.chain.lastHeight() });
  const orgWallet = Wallet.fromSeed(orgKeys.signing.secretKey, orgKeys.encryption.secretKey, d.ed, keyWrap);
  const writer = new FhirWriter({ apiUrl: d.apiUrl, org, orgWallet, custodyDir: join(d.dataDir, 'custody'), ed: d.ed, keyWrap });
  fhirRoutes(api, { auth, writer, resources, records: d.records.reader, view, clock: d.clock, apiUrl: d.apiUrl, blocks: d.blocks, chain: d.chain, requestsPerSecond: d.requestsPerSecond, log: (msg, ctx) => d.log.error(ctx, msg) });
}
