import { registerErrors, type CodesOf } from '@salus/core';

/** The identity module's error codes (registered when the module loads). */
export const IDENTITY_ERRORS = registerErrors('identity', {
  NOT_THE_PATIENT: { status: 403, title: "Only the patient's own key may do this." },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof IDENTITY_ERRORS> {}
}
