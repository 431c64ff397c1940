import { registerErrors, type CodesOf } from '@salus/core';

/** The anchors module's codes (registered when the package loads; documented in docs/errors.md). */
export const ANCHOR_ERRORS = registerErrors('anchors', {
  ANCHOR_PENDING: { status: 409, title: "The item's batch is not on the ledger yet; its proof exists once the batch commits (by the receipt's deadline)." },
  ANCHOR_LATE: { status: 409, title: "The batch's deadline height has passed: an anchor committed now would not keep the receipts given for it." },
  ANCHOR_NOT_DUE: { status: 409, title: "The receipt's batch is not on the ledger and its deadline has not passed yet: there is nothing to report." },
  ANCHOR_KEPT: { status: 409, title: "The receipt was kept as far as the ledger shows: its batch is on the ledger by the deadline, and no evidence shows the item missing." },
  ANCHOR_UNAVAILABLE: { status: 503, title: 'This node does not anchor items (it holds no admin or service key of its organisation), or its batcher is stopped; use another node.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof ANCHOR_ERRORS> {}
}
