import { type Commit } from '@salus/core';
import { type SignerState, type SignerStore, decodeSignerState, encodeSignerState } from '../tendermint/signerstate.js';

export interface StoredBlock {
  readonly height: number;
  readonly block: Uint8Array;
  readonly blockHash: Uint8Array;
  readonly commit: Commit;
}

/**
 * A node's durable storage in the simulator: what survives a crash. The WAL and signer state are
 * kept as canonical bytes and decoded on restart, as a file would be.
 */
export class SimDisk {
  private wal: Uint8Array[] = [];
  private signer: Uint8Array | undefined;
  private readonly blocks: StoredBlock[] = [];

  appendWal(entry: Uint8Array, isNewHeight: boolean): void {
    if (isNewHeight) this.wal = [];
    this.wal.push(entry);
  }

  readWal(): readonly Uint8Array[] {
    return this.wal;
  }

  /** Models a WAL whose last `n` appends were never synced to the medium. */
  loseWalTail(n: number): void {
    this.wal = this.wal.slice(0, Math.max(1, this.wal.length - n));
  }

  get walLength(): number {
    return this.wal.length;
  }

  signerStore(): SignerStore {
    return {
      load: (): SignerState | undefined => (this.signer === undefined ? undefined : decodeSignerState(this.signer)),
      save: (s: SignerState): void => {
        this.signer = encodeSignerState(s);
      },
    };
  }

  get lastHeight(): number {
    return this.blocks.length;
  }

  get lastHash(): Uint8Array | null {
    return this.blocks.at(-1)?.blockHash ?? null;
  }

  block(height: number): StoredBlock | undefined {
    return this.blocks[height - 1];
  }

  storeBlock(b: StoredBlock): void {
    if (b.height !== this.blocks.length + 1) return;
    this.blocks.push(b);
  }
}
