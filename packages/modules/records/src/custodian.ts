import { encodeTx, fromHex, signTx, toHex, type Ed25519, type IdentityKeys, type KeyWrap } from '@salus/core';
import { blobHash, recordAad, rewrap } from '@salus/client';
import { activeKey } from '@salus/identity';
import type { IndexedBlockTx, RecordsIndex } from './index-db.js';
import { getRecord, getVersion, patientRecords } from './state.js';
import type { BlobStore, LedgerView, ServiceLog, WallClock } from '@salus/module';
import type { RecordsApp } from './disclosures.js';

/**
 * The organisation's key custodian: the simple first design of emergency key release
 * (docs/records.md). A node configured with its organisation's key watches for committed
 * break-glass transactions; for every emergency-set version its organisation wrote for that
 * patient, it unwraps the data key with the organisation's envelope and wraps it for the
 * emergency practitioner's key, then submits `add_envelopes` signed by the organisation. The
 * handler admits the envelope only while the break-glass access is live. Threshold release by the
 * validators (no single organisation needed) is the later design.
 */
export class Custodian {
  private readonly orgKeyHex: string;
  private readonly orgEncHex: string;
  private readonly queue: Promise<void>[] = [];

  constructor(
    private readonly deps: { keys: IdentityKeys; chain: LedgerView; app: RecordsApp; store: BlobStore; index: RecordsIndex; ed: Ed25519; keyWrap: KeyWrap; log: ServiceLog; clock: WallClock; fetch: (hashes: string[]) => Promise<void>; isErased: (patient: string) => boolean },
  ) {
    this.orgKeyHex = toHex(deps.keys.signing.publicKey);
    this.orgEncHex = toHex(deps.keys.encryption.publicKey);
  }

  /** The organisation this custodian acts for, per committed state. */
  private org(): string | null {
    return activeKey(this.deps.app.committedView(), this.orgKeyHex)?.org ?? null;
  }

  /**
   * After a restart: a break-glass that committed while this node was down (or just before it
   * stopped) is still live and may lack its envelopes; release is idempotent, so run it again.
   */
  start(): void {
    const kv = this.deps.app.committedView();
    const now = this.deps.clock.now();
    for (const patient of this.deps.index.patients()) {
      for (const e of patientRecords(kv, patient).emergency) {
        if (e.until > now) this.queue.push(this.release(patient, e.key).catch((err: unknown) => this.deps.log.warn({ reason: (err as Error).message }, 'custodian: emergency release failed')));
      }
    }
  }

  onBlock(txs: readonly IndexedBlockTx[]): void {
    for (const t of txs) {
      if (t.type !== 'break_glass' || !t.ok) continue;
      const patient = (t.payload as { patient: string }).patient;
      this.queue.push(this.release(patient, t.signer).catch((e: unknown) => this.deps.log.warn({ reason: (e as Error).message }, 'custodian: emergency release failed')));
    }
  }

  async idle(): Promise<void> {
    while (this.queue.length > 0) await this.queue.shift();
  }

  private async release(patient: string, emergencyKey: string): Promise<void> {
    const org = this.org();
    if (!org) return;
    const kv = this.deps.app.committedView();
    const target = activeKey(kv, emergencyKey);
    if (!target) return;
    let released = 0;
    for (const { record, version } of this.deps.index.versionsOf(patient)) {
      try {
        if (await this.releaseOne(patient, record, version, org, target.encryptionKey)) released++;
      } catch (e) {
        // one version's failure (a blob not yet replicated, a refused submission) does not stop the others
        this.deps.log.warn({ record, version, reason: (e as Error).message }, 'custodian: a version was not released');
      }
    }
    this.deps.log.warn({ patient, emergencyKey: emergencyKey.slice(0, 16), org, versions: released }, 'custodian: emergency access released');
  }

  private async releaseOne(patient: string, record: string, version: number, org: string, to: string): Promise<boolean> {
    const kv = this.deps.app.committedView();
    const rec = getRecord(kv, record);
    const ver = getVersion(kv, record, version);
    if (!ver.emergency || (ver.org !== org && rec.org !== org)) return false;
    if (ver.envelopes.some((e) => e.to === to)) return false;
    const mine = ver.envelopes.find((e) => e.to === this.orgEncHex);
    if (!mine) return false;
    await this.deps.fetch([mine.blob]);
    const bytes = await this.deps.store.get(mine.blob);
    if (!bytes) return false;
    const env = await rewrap(bytes, this.deps.keys.encryption.secretKey, fromHex(to, 32), recordAad(record, version, patient), this.deps.keyWrap);
    // the patient may have erased meanwhile: nothing of theirs is stored again
    if (this.deps.isErased(patient)) return false;
    const hash = blobHash(env);
    await this.deps.store.put(hash, env, patient);
    const nonce = this.deps.app.pendingNonce(this.orgKeyHex);
    const tx = signTx(this.deps.ed, this.deps.keys.signing.secretKey, {
      chainId: this.deps.chain.chainId,
      signer: this.deps.keys.signing.publicKey,
      nonce,
      module: 'records',
      type: 'add_envelopes',
      payload: { record, version, envelopes: [{ to, blob: hash }] },
    });
    this.deps.chain.submit(encodeTx(tx));
    return true;
  }
}
