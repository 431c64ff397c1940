import { sha256, toHex, utf8ToBytes } from '@salus/core';
import { contractError } from '../errors.js';
import { checkContractCode } from '../bundle/check.js';

/** The content address of bundled code: hex SHA-256 of its UTF-8 bytes (what a deploy stores it under). */
export function contractCodeHash(code: string): string {
  return toHex(sha256(utf8ToBytes(code)));
}

/**
 * Code already verified against its hash and statically checked, by hash. The compiled module
 * itself cannot be cached (QuickJS bytecode does not move between runtimes through this binding,
 * and a fresh runtime per call is what keeps calls independent), so this spares the hashing and
 * the parse of the static check, which cost more than evaluating the module.
 */
export class CodeCache {
  private readonly verified = new Map<string, string>();

  constructor(private readonly max = 256) {}

  verify(code: string, codeHash: string): void {
    const had = this.verified.get(codeHash);
    if (had === code) {
      // refresh the entry's place so the oldest unused code is the one dropped
      this.verified.delete(codeHash);
      this.verified.set(codeHash, code);
      return;
    }
    if (contractCodeHash(code) !== codeHash) throw contractError('CONTRACT_INVALID', 'the code does not hash to its code hash', { codeHash });
    checkContractCode(code);
    this.verified.set(codeHash, code);
    if (this.verified.size > this.max) this.verified.delete(this.verified.keys().next().value as string);
  }
}
