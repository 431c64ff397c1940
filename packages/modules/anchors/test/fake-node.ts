import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SalusError, checkTxStateless, generateIdentityKeys, pureEd25519, toHex, type Canonical, type IdentityKeys, type KeyWrap, type SignedTx } from '@salus/core';
import { createModuleHarness, type BlobStore, type LedgerView, type ModuleHarness, type ModuleServiceDeps, type TxResult } from '@salus/module';
import { identityModule } from '@salus/identity';
import { anchorsModule } from '../src/index.js';

export const CHAIN = 'salus-anchors-service';

/**
 * A node without a network for the batcher's tests: the real module manager (ModuleHarness) as its
 * ledger, a mempool the test mines into blocks when it says so, and a clock the test moves.
 */
export class FakeNode {
  readonly h: ModuleHarness;
  readonly admin = generateIdentityKeys();
  readonly device = generateIdentityKeys();
  readonly stranger = generateIdentityKeys();
  private pool: { tx: SignedTx; hash: string }[] = [];
  private onBlock: ((h: number) => void) | undefined;
  now = 1_700_000_000_000;

  constructor(params: Record<string, number>) {
    this.h = createModuleHarness({
      modules: [identityModule, anchorsModule],
      genesis: {
        chainId: CHAIN,
        genesisTime: this.now,
        organisations: [{ id: 'lab-1', name: 'Lab', kind: 'other', adminKey: toHex(this.admin.signing.publicKey), encryptionKey: toHex(this.admin.encryption.publicKey) }],
        validators: [{ pubKey: toHex(generateIdentityKeys().signing.publicKey), power: 10, org: 'lab-1' }],
        modules: { anchors: params },
      },
    });
    const r = this.h.exec({ signer: this.admin, module: 'identity', type: 'add_member', payload: { org: 'lab-1', signingKey: toHex(this.device.signing.publicKey), encryptionKey: toHex(this.device.encryption.publicKey), role: 'device', name: 'Sensor' } });
    if (r.code !== 'OK') throw new SalusError('CONFIG', r.log);
  }

  readonly ledger: LedgerView = {
    chainId: CHAIN,
    lastHeight: () => this.h.height,
    lastHeader: () => ({ time: this.h.time }),
    submit: (bytes) => {
      const { tx, hash } = checkTxStateless(pureEd25519, bytes, CHAIN);
      this.h.app.checkTx(tx, hash, { height: this.h.height + 1, time: this.h.time + 1000 });
      this.pool.push({ tx, hash: toHex(hash) });
      return toHex(hash);
    },
    waitForCommit: () => Promise.reject(new SalusError('TIMEOUT', 'not in this fake')),
    mempool: { has: (hash) => this.pool.some((t) => t.hash === hash) },
  };

  /** The transactions waiting, by module/type. */
  pending(): string[] {
    return this.pool.map((t) => `${t.tx.module}/${t.tx.type}`);
  }

  /** Commits the mempool as one block (as a proposer would), then tells the service. */
  mine(): TxResult[] {
    const txs = this.pool.map((t) => t.tx);
    this.pool = [];
    const results = this.h.block(...txs);
    this.onBlock?.(this.h.height);
    return results;
  }

  /** Loses the mempool (a crash before the transactions were gossiped). */
  dropMempool(): void {
    this.pool = [];
    this.h.app.resetCheckState();
  }

  /** A transaction a client signs and gets committed in a block of its own. */
  send(signer: IdentityKeys, type: string, payload: unknown): TxResult {
    const r = this.h.exec({ signer, module: 'anchors', type, payload: payload as Canonical });
    this.onBlock?.(this.h.height);
    return r;
  }

  deps(o: { dataDir?: string; orgKeys?: IdentityKeys | null; onBlock?: (h: number) => void } = {}): ModuleServiceDeps {
    this.onBlock = o.onBlock;
    return {
      chainId: CHAIN,
      nodeId: toHex(generateIdentityKeys().signing.publicKey),
      dataDir: o.dataDir ?? mkdtempSync(join(tmpdir(), 'salus-anchors-')),
      clock: { now: () => this.now },
      log: { info: () => undefined, warn: () => undefined },
      ed: pureEd25519,
      keyWrap: {} as KeyWrap,
      orgKeys: o.orgKeys === undefined ? this.admin : o.orgKeys,
      ledger: this.ledger,
      blocks: { getTxs: () => [], findTx: () => undefined, getTx: () => undefined, requireBlock: () => ({ header: { time: this.h.time } }) },
      committed: () => this.h.view(),
      blobs: {} as BlobStore,
      waitForHeight: async (height) => {
        if (this.h.height < height) throw new SalusError('TIMEOUT', `height ${height} is not committed in this fake`);
      },
      fetchBlobs: async () => undefined,
    };
  }
}
