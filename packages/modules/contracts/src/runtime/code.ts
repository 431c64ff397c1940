import { sha256, toHex, utf8ToBytes } from '@salus/core';
import { contractError } from '../errors.js';
import { checkContractCode } from '../bundle/check.js';
import { contractFactorySource } from '../bundle/factory.js';

/** The content address of bundled code: hex SHA-256 of its UTF-8 bytes (what a deploy stores it under). */
export function contractCodeHash(code: string): string {
  return toHex(sha256(utf8ToBytes(code)));
}

interface Verified {
  readonly code: string;
  /** the code rewritten as a module whose default export runs its top level (bundle/factory.ts) */
  readonly factory: string;
}

/**
 * Code already verified against its hash and statically checked, by hash, with its factory form.
 * QuickJS bytecode cannot be saved and loaded through this binding, so each new sandbox compiles
 * the factory again (sandbox.ts); this spares the hashing and the two parses (the static check and
 * the rewrite), which cost more than compiling.
 */
export class CodeCache {
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly max = 256) {}

  /**
   * Checks the code against its hash (once per hash) and returns its factory module. `code` may be
   * a function that reads it, called only for a hash not verified yet: code is content-addressed,
   * so what was verified under a hash is the code of that hash.
   */
  verify(code: string | (() => string), codeHash: string): string {
    const had = this.verified.get(codeHash);
    if (had && (typeof code === 'function' || had.code === code)) {
      // refresh the entry's place so the oldest unused code is the one dropped
      this.verified.delete(codeHash);
      this.verified.set(codeHash, had);
      return had.factory;
    }
    const text = typeof code === 'function' ? code() : code;
    if (contractCodeHash(text) !== codeHash) throw contractError('CONTRACT_INVALID', 'the code does not hash to its code hash', { codeHash });
    checkContractCode(text);
    const entry: Verified = { code: text, factory: contractFactorySource(text) };
    this.verified.set(codeHash, entry);
    if (this.verified.size > this.max) this.verified.delete(this.verified.keys().next().value as string);
    return entry.factory;
  }
}
