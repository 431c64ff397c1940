import { SalusError } from './errors.js';
import { isBytes } from './bytes.js';

/** Small typed guards used by every decoder: each throws INVALID_FIELD naming the field. */
export function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new SalusError('INVALID_FIELD', `${field} must be a map`, { field });
  }
  return v as Record<string, unknown>;
}

export function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new SalusError('INVALID_FIELD', `${field} has unknown field "${k}"`, { field: `${field}.${k}` });
  }
}

export function str(v: unknown, field: string, maxLength = 256, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength || (pattern && !pattern.test(v))) {
    throw new SalusError('INVALID_FIELD', `${field} must be a string of 1-${maxLength} characters${pattern ? ` matching ${pattern}` : ''}`, { field });
  }
  return v;
}

export function uint(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new SalusError('INVALID_FIELD', `${field} must be an integer from 0 to ${max}`, { field });
  }
  return v;
}

export function bytes(v: unknown, field: string, length?: number): Uint8Array {
  if (!isBytes(v, length)) {
    throw new SalusError('INVALID_FIELD', `${field} must be ${length === undefined ? '' : `${length} `}bytes`, { field });
  }
  return v;
}

export function list(v: unknown, field: string, maxLength: number): unknown[] {
  if (!Array.isArray(v) || v.length > maxLength) throw new SalusError('INVALID_FIELD', `${field} must be a list of at most ${maxLength}`, { field });
  return v;
}

export function oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw new SalusError('INVALID_FIELD', `${field} must be one of ${options.join(', ')}`, { field });
  }
  return v as T;
}
