import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SalusError } from '@salus/core';
import { type SignerState, type SignerStore, decodeSignerState, encodeSignerState } from '@salus/consensus';

/**
 * The double-sign guard's state on disk (CometBFT's priv_validator_state.json): written to a
 * temporary file, fsynced, renamed over the old one and the directory fsynced, so a crash leaves
 * the old or the new state, never a torn one. `beforeSave` runs first: the driver flushes its WAL
 * there, so the inputs that led to a signature are durable before the signature can exist.
 */
export function createFileSignerStore(path: string, beforeSave: () => void = () => {}): SignerStore {
  return {
    load() {
      if (!existsSync(path)) return undefined;
      try {
        return decodeSignerState(new Uint8Array(readFileSync(path)));
      } catch (e) {
        throw new SalusError('CORRUPT_DATA', `signer state ${path} is unreadable: ${(e as Error).message}; refusing to sign rather than risk a double signature`, { object: 'signer' });
      }
    },
    save(state: SignerState) {
      beforeSave();
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, encodeSignerState(state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      const dir = openSync(dirname(path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    },
  };
}
