import { registerErrors, type CodesOf } from '@salus/core';

/**
 * The supply module's codes (registered when the package loads; documented in docs/errors.md).
 * Each maps to one of EPCIS 2.0's standard exception types, which its errors carry in
 * `meta.epcisException` (see `EPCIS_EXCEPTION_OF`), with the event (index in the document) and the
 * field or the rule named in `meta`.
 */
export const SUPPLY_ERRORS = registerErrors('supply', {
  EPCIS_INVALID: { status: 400, title: "The EPCIS document fails GS1's JSON Schema, an identifier's syntax or check digit, or a CBV value (EPCIS ValidationException)." },
  EPCIS_RULE: { status: 409, title: "An event breaks a pack's state machine or a ledger rule (owner, prefix, duplicate, time); the pack and the rule are named (EPCIS ValidationException)." },
  EPCIS_CAPTURE_LIMIT: { status: 413, title: 'The EPCIS document holds more events or bytes than one capture takes (EPCIS CaptureLimitExceededException).' },
  EPCIS_QUERY: { status: 400, title: 'A query parameter is unknown or malformed (EPCIS QueryParameterException).' },
});

/** The EPCIS exception type each code is reported as. */
export const EPCIS_EXCEPTION_OF: Readonly<Record<string, string>> = {
  EPCIS_INVALID: 'ValidationException',
  EPCIS_RULE: 'ValidationException',
  EPCIS_CAPTURE_LIMIT: 'CaptureLimitExceededException',
  EPCIS_QUERY: 'QueryParameterException',
  NOT_FOUND: 'NoSuchResourceException',
  FORBIDDEN: 'SecurityException',
  UNREGISTERED_SIGNER: 'SecurityException',
  BAD_SIGNATURE: 'SecurityException',
};

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof SUPPLY_ERRORS> {}
}
