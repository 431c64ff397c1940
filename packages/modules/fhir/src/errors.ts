import { registerErrors, type CodesOf } from '@salus/core';

/** The FHIR facade's error codes (registered when the facade loads); each answers as an OperationOutcome. */
export const FHIR_ERRORS = registerErrors('fhir', {
  INVALID_RESOURCE: { status: 422, title: 'The resource violates the FHIR R4 definitions or a rule of this server.' },
  PRECONDITION_FAILED: { status: 412, title: 'A condition of the request (If-Match version, a conditional match) does not hold.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'This resource type does not take that interaction here.' },
  GONE: { status: 410, title: 'The resource was deleted; its history remains.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof FHIR_ERRORS> {}
}
