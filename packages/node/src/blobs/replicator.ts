import type { Logger } from 'pino';
import { SalusError, decode, encode, v } from '@salus/core';
import type { P2P } from '../p2p/index.js';
import { BLOB_MESSAGE_BYTES_MAX, CH } from '../consensus/channels.js';
import type { BlobReplication, BlobStore } from '@salus/module';
import { blobSha256 } from './store.js';

const HASHES_PER_REQUEST_MAX = 64;
/** Penalty for a peer that answers with bytes that do not hash to what was asked. */
const BAD_BLOB_PENALTY = 50;

type BlobMessage =
  | { readonly t: 'want'; readonly id: number; readonly hashes: readonly string[] }
  | { readonly t: 'have'; readonly id: number; readonly items: readonly { readonly hash: string; readonly bytes: Uint8Array }[] };

function decodeBlobMessage(bytes: Uint8Array): BlobMessage {
  const o = v.record(decode(bytes, BLOB_MESSAGE_BYTES_MAX), 'blob');
  const t = v.oneOf(o.t, 'blob.t', ['want', 'have'] as const);
  const id = v.uint(o.id, 'blob.id');
  if (t === 'want') {
    v.onlyKeys(o, ['t', 'id', 'hashes'], 'blob');
    return { t, id, hashes: v.list(o.hashes, 'blob.hashes', HASHES_PER_REQUEST_MAX).map((h, i) => v.str(h, `blob.hashes[${i}]`, 64, /^[0-9a-f]{64}$/)) };
  }
  v.onlyKeys(o, ['t', 'id', 'items'], 'blob');
  const items = v.list(o.items, 'blob.items', HASHES_PER_REQUEST_MAX).map((x, i) => {
    const r = v.record(x, `blob.items[${i}]`);
    v.onlyKeys(r, ['hash', 'bytes'], `blob.items[${i}]`);
    return { hash: v.str(r.hash, 'hash', 64, /^[0-9a-f]{64}$/), bytes: v.bytes(r.bytes, 'bytes') };
  });
  return { t, id, items };
}

export interface ReplicatorOptions {
  /** how long one peer has to answer before the next is asked */
  readonly requestTimeoutMs: number;
  /** background retries of a committed blob this node should hold */
  readonly retryMs: number;
}

/**
 * Blob replication over the p2p links: a node that lacks a blob asks its peers one after another
 * ("want"), checks the hash of what comes back before storing it, and penalises a peer whose bytes
 * do not match. Committed records are pulled in the background, so a record stays readable when
 * its author's node is down; a read of a blob not yet here waits for a fetch.
 */
export class BlobReplicator implements BlobReplication {
  private nextId = 1;
  private readonly waiting = new Map<number, { peer: string; hashes: Set<string>; resolve: () => void }>();
  private readonly backlog = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly opts: ReplicatorOptions,
    private readonly deps: { p2p: P2P; store: BlobStore; log: Logger; patientOf: (hash: string) => string | null; isErased: (patient: string) => boolean },
  ) {}

  start(): void {
    this.unsubscribe.push(this.deps.p2p.onMessage((peer, ch, bytes) => void (ch === CH.blob && this.receive(peer, bytes))));
    this.timer = setInterval(() => void this.drainBacklog(), this.opts.retryMs);
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    clearInterval(this.timer);
    for (const w of this.waiting.values()) w.resolve();
  }

  /** Queues committed blobs this node should hold; they are fetched now and retried until they arrive. */
  replicate(hashes: readonly string[], patient: string): void {
    for (const h of hashes) this.backlog.set(h, patient);
    void this.drainBacklog();
  }

  get backlogSize(): number {
    return this.backlog.size;
  }

  private draining = false;
  private async drainBacklog(): Promise<void> {
    if (this.draining || this.backlog.size === 0) return;
    this.draining = true;
    try {
      const all = [...this.backlog.keys()];
      for (let i = 0; i < all.length; i += HASHES_PER_REQUEST_MAX) {
        const batch = all.slice(i, i + HASHES_PER_REQUEST_MAX);
        const missing: string[] = [];
        for (const h of batch) {
          const patient = this.backlog.get(h)!;
          if (this.deps.isErased(patient) || (await this.deps.store.has(h))) this.backlog.delete(h);
          else missing.push(h);
        }
        if (missing.length > 0) await this.fetch(missing);
        for (const h of missing) if (await this.deps.store.has(h)) this.backlog.delete(h);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Asks peers in turn for the hashes this node lacks; resolves when all arrived or every peer was asked. */
  async fetch(hashes: readonly string[]): Promise<void> {
    let missing = [];
    for (const h of hashes) if (!(await this.deps.store.has(h))) missing.push(h);
    for (const peer of this.deps.p2p.connectedPeers()) {
      if (missing.length === 0) return;
      await this.ask(peer, missing);
      const still = [];
      for (const h of missing) if (!(await this.deps.store.has(h))) still.push(h);
      missing = still;
    }
  }

  private ask(peer: string, hashes: readonly string[]): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve();
      }, this.opts.requestTimeoutMs);
      this.waiting.set(id, {
        peer,
        hashes: new Set(hashes),
        resolve: () => {
          clearTimeout(timer);
          this.waiting.delete(id);
          resolve();
        },
      });
      if (!this.deps.p2p.send(peer, CH.blob, encode({ t: 'want', id, hashes: [...hashes] }))) this.waiting.get(id)?.resolve();
    });
  }

  private async receive(peer: string, bytes: Uint8Array): Promise<void> {
    let msg: BlobMessage;
    try {
      msg = decodeBlobMessage(bytes);
    } catch (e) {
      this.deps.p2p.report(peer, BAD_BLOB_PENALTY, `blob message: ${(e as Error).message}`);
      return;
    }
    if (msg.t === 'want') return this.serve(peer, msg.id, msg.hashes);
    const w = this.waiting.get(msg.id);
    if (!w || w.peer !== peer) return;
    for (const item of msg.items) {
      if (!w.hashes.has(item.hash)) continue;
      if (blobSha256(item.bytes) !== item.hash) {
        this.deps.log.warn({ peer: peer.slice(0, 16), hash: item.hash.slice(0, 16) }, 'blob replication: bytes do not match their hash');
        this.deps.p2p.report(peer, BAD_BLOB_PENALTY, 'blob does not match its hash');
        continue;
      }
      // named by a committed transaction: its owner is known and the copy stays (pinned); else it was
      // fetched for a transaction not yet committed, and is pinned when that commits
      const patient = this.deps.patientOf(item.hash);
      if (patient && this.deps.isErased(patient)) continue;
      try {
        await this.deps.store.put(item.hash, item.bytes, patient, patient !== null);
      } catch (e) {
        if (!(e instanceof SalusError)) throw e;
      }
    }
    w.resolve();
  }

  private async serve(peer: string, id: number, hashes: readonly string[]): Promise<void> {
    const items: { hash: string; bytes: Uint8Array }[] = [];
    let size = 0;
    for (const hash of hashes) {
      const patient = this.deps.patientOf(hash);
      if (patient && this.deps.isErased(patient)) continue;
      const bytes = await this.deps.store.get(hash).catch(() => undefined);
      if (!bytes) continue;
      if (size + bytes.length > BLOB_MESSAGE_BYTES_MAX - 64 * 1024) break;
      size += bytes.length;
      items.push({ hash, bytes });
    }
    this.deps.p2p.send(peer, CH.blob, encode({ t: 'have', id, items }));
  }
}
