import { registerErrors, SalusError, type CodesOf } from '@salus/core';

/**
 * The sandbox's error codes. A contract's own failure reason (`fail('NOT_COVERED', …)`) is not a
 * code here: it travels as `meta.reason` of CONTRACT_FAILED, so contracts cannot mint codes that the
 * node's catalogue (and its HTTP statuses) would have to know.
 */
export const CONTRACT_ERRORS = registerErrors('contracts', {
  OUT_OF_GAS: { status: 422, title: 'The contract call used all the gas it was given.' },
  CONTRACT_MEMORY: { status: 422, title: 'The contract call exceeded its memory limit.' },
  CONTRACT_STACK: { status: 422, title: 'The contract call recursed deeper than its stack limit allows.' },
  CONTRACT_FAILED: { status: 422, title: 'The contract threw an exception or failed on purpose.' },
  CONTRACT_INVALID: { status: 400, title: 'The contract code does not bundle, is too large, or uses a forbidden import or global.' },
  CONTRACT_FORBIDDEN: { status: 403, title: 'The contract refused the call because the signer lacks a required role or key.' },
  CONTRACT_DEPTH: { status: 422, title: 'The chain of cross-contract calls is deeper than allowed.' },
  CONTRACT_VALUE: { status: 422, title: 'A value crossing the contract boundary is not a canonical value or is too large.' },
  CONTRACT_METHOD: { status: 404, title: 'The contract exports no function of that name.' },
  CONTRACT_INTERNAL: { status: 500, title: 'The sandbox failed for a reason outside the contract; the outcome is not a consensus result.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof CONTRACT_ERRORS> {}
}

export type ContractErrorCode = keyof typeof CONTRACT_ERRORS;

/** The one way this package fails: a SalusError with a contract code. */
export function contractError(code: ContractErrorCode, message: string, meta: Record<string, unknown> = {}): SalusError {
  return new SalusError(code, message, meta);
}
