/**
 * The project's one error class. Every failure that can reach a user carries a code from the
 * catalogue below; callers match on `code`, never on message text. The HTTP edge maps the
 * catalogue's status straight to the response (see docs/errors.md, kept in step by a test).
 */
export const ERROR_CATALOGUE = {
  MALFORMED_ENCODING: { status: 400, title: 'The bytes are not valid canonical CBOR or JSON.' },
  INVALID_FIELD: { status: 400, title: 'A field is missing, of the wrong type or out of range.' },
  WRONG_CHAIN: { status: 400, title: 'The transaction or message is for another chain.' },
  BAD_SIGNATURE: { status: 401, title: 'The signature does not verify for the stated signer.' },
  NONCE_REPLAYED: { status: 409, title: 'The nonce was already used by this signer.' },
  NONCE_GAP: { status: 409, title: 'The nonce skips ahead of the next expected one.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body has a content type this endpoint does not read.' },
  UNKNOWN_MODULE: { status: 400, title: 'No module of that name is installed.' },
  UNKNOWN_TYPE: { status: 400, title: 'The module has no transaction type of that name.' },
  OVERSIZE: { status: 413, title: 'The payload exceeds a configured limit.' },
  UNREGISTERED_SIGNER: { status: 403, title: 'The signer is not a registered identity.' },
  NOT_A_MEMBER: { status: 403, title: 'The signer does not act for that organisation.' },
  FORBIDDEN: { status: 403, title: 'The signer may not perform this action.' },
  CONFLICT: { status: 409, title: 'The state already holds a conflicting entry.' },
  NOT_FOUND: { status: 404, title: 'No such object.' },
  MEMPOOL_FULL: { status: 429, title: 'The mempool is full; retry later.' },
  TIMEOUT: { status: 504, title: 'The operation did not complete in time.' },
  BAD_PROOF: { status: 422, title: 'A proof does not verify.' },
  BAD_COMMIT: { status: 422, title: 'A commit lacks more than two thirds of valid voting power.' },
  DECRYPTION_FAILED: { status: 422, title: 'The ciphertext or envelope does not open with this key.' },
  CORRUPT_DATA: { status: 500, title: 'Stored data fails verification.' },
  CONFIG: { status: 400, title: 'The configuration or genesis is invalid.' },
  NOT_THE_PATIENT: { status: 403, title: "Only the patient's own key may do this." },
  CONSENT_REQUIRED: { status: 403, title: 'No active grant, authorship or emergency access covers this record for this party and purpose.' },
  ERASED: { status: 410, title: "The patient's records were erased; only non-personal commitments remain." },
  BLOB_MISSING: { status: 404, title: 'A referenced ciphertext or envelope is not stored on this node or its peers.' },
  HASH_MISMATCH: { status: 422, title: 'The bytes do not hash to the content address they were stored under.' },
  REQUEST_EXPIRED: { status: 401, title: 'The signed request is too old, from the future, or replayed.' },
  INVALID_RESOURCE: { status: 422, title: 'The resource violates the FHIR R4 definitions or a rule of this server.' },
  PRECONDITION_FAILED: { status: 412, title: 'A condition of the request (If-Match version, a conditional match) does not hold.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'This resource type does not take that interaction here.' },
  GONE: { status: 410, title: 'The resource was deleted; its history remains.' },
  TOO_MANY_REQUESTS: { status: 429, title: 'A per-key or per-node limit of pending work is reached; retry later.' },
  LEDGER_UNAVAILABLE: { status: 503, title: 'The ledger is not committing, so a disclosure could not be recorded; the read is refused.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class SalusError extends Error {
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, meta: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SalusError';
    this.code = code;
    this.meta = meta;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; meta: Record<string, unknown> } {
    return { code: this.code, message: this.message, meta: this.meta };
  }
}

export function isSalusError(e: unknown, code?: ErrorCode): e is SalusError {
  return e instanceof SalusError && (code === undefined || e.code === code);
}

/** Asserts an invariant; a failure is a bug or corrupt input, never a user error. */
export function invariant(cond: unknown, message: string, meta: Record<string, unknown> = {}): asserts cond {
  if (!cond) throw new SalusError('CORRUPT_DATA', `invariant failed: ${message}`, meta);
}
