/**
 * The project's one error class. Every failure that can reach a user carries a code from the
 * catalogue; callers match on `code`, never on message text. Core registers the codes of the
 * infrastructure below; each module registers its own with `registerErrors` and declares them in
 * `ErrorCodes` (TypeScript declaration merging), so core knows no domain's words and a misspelt
 * code is still a type error. The HTTP edge maps a code's status straight to the response
 * (docs/errors.md is kept in step by a test over every registered code).
 */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

const CORE_ERRORS = {
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
  BLOB_MISSING: { status: 404, title: 'A referenced ciphertext or envelope is not stored on this node or its peers.' },
  HASH_MISMATCH: { status: 422, title: 'The bytes do not hash to the content address they were stored under.' },
  REQUEST_EXPIRED: { status: 401, title: 'The signed request is too old, from the future, or replayed.' },
  TOO_MANY_REQUESTS: { status: 429, title: 'A per-key or per-node limit of pending work is reached; retry later.' },
  BELOW_BASE: { status: 410, title: 'The height is below this node\'s base: it started from a state snapshot and holds no earlier blocks.' },
  BAD_SNAPSHOT: { status: 422, title: 'A state snapshot, its chunk or the headers it is checked against do not verify.' },
  STORAGE_UNAVAILABLE: { status: 503, title: 'The storage server cannot be reached or did not answer in time.' },
  STORAGE_ERROR: { status: 500, title: 'The storage server refused a statement; its transaction was rolled back.' },
  STORAGE_FULL: { status: 507, title: 'The storage is full (the disk, or the configured storage quota); the write was rolled back.' },
} as const;

/**
 * The codes a SalusError may carry. Modules add theirs by declaration merging:
 * `declare module '@salus/core' { interface ErrorCodes extends CodesOf<typeof MY_ERRORS> {} }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ErrorCodes extends CodesOf<typeof CORE_ERRORS> {}

/** The keys of a catalogue, as the shape `ErrorCodes` merges. */
export type CodesOf<T> = { readonly [K in keyof T]: true };

export type ErrorCode = keyof ErrorCodes & string;

const REGISTRY = new Map<string, ErrorSpec & { readonly owner: string }>();

/**
 * Registers an owner's error codes (module load time). A code belongs to one owner: registering it
 * again with another meaning is a bug caught at start-up, not a silent override.
 */
export function registerErrors<const T extends Record<string, ErrorSpec>>(owner: string, errors: T): T {
  for (const [code, spec] of Object.entries(errors)) {
    if (!/^[A-Z][A-Z0-9_]{1,63}$/.test(code)) throw new SalusError('CONFIG', `error code ${code} of ${owner} is not UPPER_SNAKE_CASE`);
    const had = REGISTRY.get(code);
    if (had && (had.owner !== owner || had.status !== spec.status || had.title !== spec.title)) {
      throw new SalusError('CONFIG', `error code ${code} of ${owner} is already registered by ${had.owner}`);
    }
    REGISTRY.set(code, { ...spec, owner });
  }
  return errors;
}

/** Every registered code with its status, title and owner, in registration order. */
export function errorCatalogue(): ReadonlyMap<string, ErrorSpec & { readonly owner: string }> {
  return REGISTRY;
}

/** The HTTP status of a code: as registered, else the one the error came with, else 500. */
export function errorStatus(code: string, fallback = 500): number {
  return REGISTRY.get(code)?.status ?? fallback;
}

export class SalusError extends Error {
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, meta: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SalusError';
    this.code = code;
    this.meta = meta;
  }

  /** The registered status; a code this process does not know (an SDK reading a node's answer) keeps the HTTP status it came with. */
  get status(): number {
    return errorStatus(this.code, typeof this.meta.status === 'number' ? this.meta.status : 500);
  }

  toJSON(): { code: ErrorCode; message: string; meta: Record<string, unknown> } {
    return { code: this.code, message: this.message, meta: this.meta };
  }
}

registerErrors('core', CORE_ERRORS);

export function isSalusError(e: unknown, code?: ErrorCode): e is SalusError {
  return e instanceof SalusError && (code === undefined || e.code === code);
}

/** Asserts an invariant; a failure is a bug or corrupt input, never a user error. */
export function invariant(cond: unknown, message: string, meta: Record<string, unknown> = {}): asserts cond {
  if (!cond) throw new SalusError('CORRUPT_DATA', `invariant failed: ${message}`, meta);
}
