import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { installSha256, sha256 } from '@salus/core';
import { installNativeSha256 } from '../src/crypto/native-sha256.js';

describe('native SHA-256', () => {
  it('once installed, agrees with the pure implementation on any input (property)', () => {
    installNativeSha256();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const out = sha256(data);
        return out.constructor === Uint8Array && out.buffer.byteLength === 32 && Buffer.from(out).equals(Buffer.from(nobleSha256(data)));
      }),
      { numRuns: 500 },
    );
  });

  it('an implementation that disagrees with the test vector, or returns a view into a larger buffer, is refused', () => {
    expect(installSha256(() => new Uint8Array(32))).toBe(false);
    expect(installSha256((d) => new Uint8Array(Buffer.concat([Buffer.alloc(8), Buffer.from(nobleSha256(d))]).buffer, 8, 32))).toBe(false);
    expect(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
