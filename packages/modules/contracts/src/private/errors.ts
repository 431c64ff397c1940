import { registerErrors, type CodesOf } from '@salus/core';

/** The codes of private execution, under the contracts module. */
export const PRIVATE_ERRORS = registerErrors('contracts', {
  CONTRACT_STALE: { status: 409, title: "The endorsed result was computed on a private state that is no longer the contract's current one; endorse again and resubmit." },
  CONTRACT_ENDORSEMENT: { status: 403, title: "The private call's endorsements do not satisfy the contract's endorsement policy, or do not agree." },
  PRIVATE_NOT_READY: { status: 503, title: "This node's private state of the contract is not at the ledger's root yet (it is catching up, or it diverged); retry, or ask another party's node." },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof PRIVATE_ERRORS> {}
}
