import { isSalusError, type SalusError } from '@salus/core';
import { expect } from 'vitest';
import { createContractHarness, type ContractHarness, type HarnessOptions } from '../src/harness/index.js';
import { createContractRuntime, type ContractRuntime } from '../src/index.js';

let shared: Promise<ContractRuntime> | undefined;

/** One runtime per test file (loading the WebAssembly is the slow part). */
export function runtime(): Promise<ContractRuntime> {
  return (shared ??= createContractRuntime());
}

/** A harness over contract source (TypeScript), bundled with the real bundler. */
export async function harness(source: string, o: Omit<HarnessOptions, 'source'> = {}): Promise<ContractHarness> {
  return createContractHarness({ source, fileName: 'test-contract.ts', runtime: await runtime(), ...o });
}

/** Runs `f`, expects a SalusError with `code`, returns it. */
export function failure(f: () => unknown, code: string): SalusError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isSalusError(err), `expected ${code}, got ${String(err)}`).toBe(true);
  expect((err as SalusError).code).toBe(code);
  return err as SalusError;
}

export const SDK = `import { state, emit, ctx, call, hasRole, requireRole, requireSigner, fail } from '@salus/contracts/sdk';\n`;
