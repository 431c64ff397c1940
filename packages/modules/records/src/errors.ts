import { registerErrors, type CodesOf } from '@salus/core';

/** The records module's error codes (registered when the module loads). */
export const RECORDS_ERRORS = registerErrors('records', {
  CONSENT_REQUIRED: { status: 403, title: 'No active grant, authorship or emergency access covers this record for this party and purpose.' },
  ERASED: { status: 410, title: "The patient's records were erased; only non-personal commitments remain." },
  LEDGER_UNAVAILABLE: { status: 503, title: 'The ledger is not committing, so a disclosure could not be recorded; the read is refused.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof RECORDS_ERRORS> {}
}
