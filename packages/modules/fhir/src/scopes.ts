/**
 * SMART on FHIR scopes (App Launch 2.x, "scopes and launch context"): `<context>/<type>.<perms>`
 * where context is system (a backend service), user (a practitioner) or patient (one patient's
 * compartment), type is a resource type or `*`, and perms are letters of `cruds` in that order.
 * Version 1 suffixes (`.read`, `.write`, `.*`) are accepted and mapped to their v2 letters, so
 * older clients work unchanged; scopes are always issued back in v2 form.
 *
 * Granular v2 scopes (`?category=...`) are not supported: they parse as invalid rather than being
 * widened to the unrestricted scope, since a scope may only ever narrow what a caller can do.
 */

/** c = create, r = read (also vread and history), u = update, d = delete, s = search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';
export type ScopeContext = 'system' | 'user' | 'patient';

export const INTERACTIONS: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];
export const SCOPE_CONTEXTS: readonly ScopeContext[] = ['system', 'user', 'patient'];

export interface Scope {
  readonly context: ScopeContext;
  /** a resource type, or '*' for every type */
  readonly resourceType: string;
  /** a non-empty subset of INTERACTIONS, in cruds order */
  readonly interactions: readonly Interaction[];
}

/** Scope strings longer than this are refused before any parsing (a token request is untrusted). */
export const SCOPE_STRING_MAX = 2048;

const RESOURCE_TYPE = /^(?:\*|[A-Z][A-Za-z]{0,63})$/;
const V1: Readonly<Record<string, readonly Interaction[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': INTERACTIONS,
};

/** The v2 letters in cruds order, each once, or null. */
function parsePermissions(p: string): Interaction[] | null {
  if (p.length === 0 || p.length > 5) return null;
  const out: Interaction[] = [];
  let next = 0;
  for (const ch of p) {
    const i = INTERACTIONS.indexOf(ch as Interaction, next);
    if (i < 0) return null; // unknown letter, repeated letter, or out of order
    out.push(INTERACTIONS[i]!);
    next = i + 1;
  }
  return out;
}

/** One scope token, or null when it is not a resource scope this server understands. */
export function parseScope(token: string): Scope | null {
  const slash = token.indexOf('/');
  const dot = token.lastIndexOf('.');
  if (slash < 0 || dot < slash) return null;
  const context = token.slice(0, slash);
  const resourceType = token.slice(slash + 1, dot);
  const perms = token.slice(dot + 1);
  if (!(SCOPE_CONTEXTS as readonly string[]).includes(context) || !RESOURCE_TYPE.test(resourceType)) return null;
  const interactions = Object.hasOwn(V1, perms) ? [...V1[perms]!] : parsePermissions(perms);
  if (!interactions) return null;
  return { context: context as ScopeContext, resourceType, interactions };
}

export function formatScope(s: Scope): string {
  return `${s.context}/${s.resourceType}.${s.interactions.join('')}`;
}

/**
 * A space-separated scope parameter (RFC 6749 §3.3). Resource scopes go to `scopes`; anything else
 * (malformed, granular, or a launch scope such as `openid` that this server does not grant) goes
 * to `other`, for the caller to drop or refuse.
 */
export function parseScopes(param: string): { scopes: Scope[]; other: string[] } {
  const scopes: Scope[] = [];
  const other: string[] = [];
  if (param.length > SCOPE_STRING_MAX) return { scopes, other: [param.slice(0, 64)] };
  for (const token of param.split(' ')) {
    if (token === '') continue;
    const s = parseScope(token);
    if (s) scopes.push(s);
    else other.push(token);
  }
  return { scopes: dedupe(scopes), other };
}

/** The scopes as one space-separated v2 string, each once. */
export function formatScopes(scopes: readonly Scope[]): string {
  return [...new Set(scopes.map(formatScope))].join(' ');
}

/** Drops repeated scopes (same context, type and letters), keeping the first. */
export function dedupe(scopes: readonly Scope[]): Scope[] {
  const seen = new Set<string>();
  return scopes.filter((s) => {
    const k = formatScope(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The scopes of the given contexts only: how a grant is cut down to what a kind of client may hold. */
export function inContexts(scopes: readonly Scope[], contexts: readonly ScopeContext[]): Scope[] {
  return scopes.filter((s) => contexts.includes(s.context));
}

/**
 * Whether any scope permits the interaction on the resource type. Context is not weighed here:
 * which resources a patient/ or user/ scope reaches (the patient's compartment, what the
 * organisation may read) is decided by the caller's identity, not by the scope string.
 */
export function allows(scopes: readonly Scope[], resourceType: string, interaction: Interaction): boolean {
  return scopes.some((s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.interactions.includes(interaction));
}
