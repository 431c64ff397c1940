/**
 * The node's off-chain store of ciphertexts and key envelopes, as a module's services use it:
 * content-addressed by SHA-256, so every blob's hash is checked before it is stored or served. The
 * interface is asynchronous so that a PostgreSQL backend fits behind it unchanged; the node's
 * embedded default is SQLite (`SqliteBlobStore`).
 */
export interface BlobStore {
  has(hash: string): Promise<boolean>;
  get(hash: string): Promise<Uint8Array | undefined>;
  /**
   * Stores bytes under their hash (HASH_MISMATCH if they do not hash to it); idempotent. `pinned`:
   * a committed transaction already names it (a replicated copy), so it is never collected.
   */
  put(hash: string, bytes: Uint8Array, patient: string | null, pinned?: boolean): Promise<void>;
  /** Marks blobs as referenced by a committed transaction (no longer collectable), for a patient (null: no patient's, e.g. a private contract's input). */
  pin(hashes: readonly string[], patient: string | null): Promise<void>;
  /** Crypto-shredding: deletes every blob of a patient, overwriting the freed pages. */
  deletePatient(patient: string): Promise<number>;
  /** Deletes uploads no committed transaction referenced within `maxAgeMs`. */
  collect(maxAgeMs: number, now: number): Promise<number>;
  stats(): Promise<{ blobs: number; bytes: number }>;
  close(): Promise<void>;
}

/**
 * Blob replication between nodes as a module's service drives it (the node's `BlobReplicator`
 * over p2p satisfies it): the service decides which blobs this node keeps, the replication moves
 * them. It is started and stopped by the service that owns the blobs' meaning, so it never asks
 * that service's index after the service closed it.
 */
export interface BlobReplication {
  start(): void;
  stop(): void;
  /** Committed blobs this node should hold: fetched in the background until they are here. */
  replicate(hashes: readonly string[], patient: string): void;
  /** Fetches blobs this node lacks from its peers; resolves when done or given up. */
  fetch(hashes: readonly string[]): Promise<void>;
  /** committed blobs this node should hold and has not fetched yet */
  readonly backlogSize: number;
}
