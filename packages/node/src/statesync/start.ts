import type { Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import { type IdentityKeys, SalusError } from '@salus/core';
import { systemClock, type Clock } from '@salus/consensus';
import type { Genesis } from '@salus/module';
import { openStorage } from '../storage/open.js';
import { P2P } from '../p2p/index.js';
import { SNAPSHOT_MESSAGE_BYTES_MAX, nodeChannels } from '../consensus/channels.js';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import type { NodeOptions } from '../config/options.js';
import { trustFromConfig } from './light.js';
import { type RestoreReport, StateSyncRestore, needsRestore } from './restore.js';

export interface StateSyncStart {
  readonly genesis: Genesis;
  readonly nodeKeys: IdentityKeys;
  readonly options: NodeOptions;
  readonly dataDir: string;
  readonly dbFile: string;
  readonly log: Logger;
  readonly clock?: Clock;
}

/**
 * Before a node starts: with `stateSync.trustHeight` set and a data directory that holds no chain
 * yet (or an interrupted restore), restores the state from peers' snapshots over its own p2p links
 * (closed again after), so the node then opens at the snapshot height and block-syncs from there.
 * A data directory that already holds a chain is left alone (undefined): state sync is for joining.
 */
export async function stateSyncIfNeeded(s: StateSyncStart): Promise<RestoreReport | undefined> {
  const o = s.options.stateSync;
  if (o.trustHeight === 0) return undefined;
  const trust = trustFromConfig(o.trustHeight, o.trustHash);
  mkdirSync(s.dataDir, { recursive: true, mode: 0o700 });
  const db = openStorage(s.options.storage, s.dbFile);
  let p2p: P2P | undefined;
  try {
    if (!needsRestore(db)) {
      s.log.info({ trustHeight: o.trustHeight }, 'state sync: the data directory already holds the chain; starting from it');
      return undefined;
    }
    if (s.options.p2p.peers.length === 0) throw new SalusError('CONFIG', 'state sync needs peers to fetch the snapshot from (p2p.peers)');
    const bft = s.options.bft.tendermint;
    p2p = new P2P(
      { ...s.options.p2p, networkId: s.genesis.chainId },
      { keys: s.nodeKeys, logger: s.log, channels: nodeChannels(bft.blockBytesMax, bft.blockPartBytes), allowedKeys: s.genesis.validators.map((x) => x.pubKey) },
    );
    await p2p.start();
    const restore = new StateSyncRestore(o, { db, genesis: s.genesis, ed: createNativeEd25519(), p2p, clock: s.clock ?? systemClock, log: s.log.child({ mod: 'statesync' }), bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX });
    return await restore.run(trust);
  } finally {
    await p2p?.close();
    db.close();
  }
}
