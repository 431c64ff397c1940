import { registerErrors, type CodesOf } from '@salus/core';

/** The contracts module's own codes, beside the sandbox's (../errors.ts), under the same owner. */
export const CONTRACTS_MODULE_ERRORS = registerErrors('contracts', {
  CONTRACT_NOT_FOUND: { status: 404, title: 'No contract instance, code or method of that name is on the ledger.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof CONTRACTS_MODULE_ERRORS> {}
}
