import { isLosslessNumber, parse, stringify } from 'lossless-json';

/**
 * FHIR JSON keeps a decimal's precision (R4: 1.50 is not 1.5), which JSON.parse loses. The facade
 * parses bodies and stored resources into lossless numbers and writes them back as they came;
 * the validator and the search see plain numbers.
 */
export const parseFhir = (text: string): unknown => parse(text);
export const stringifyFhir = (value: unknown): string => stringify(value) ?? 'null';
export const toPlain = <T>(value: T): T => JSON.parse(stringifyFhir(value)) as T;
export const isNumber = (x: unknown): boolean => isLosslessNumber(x);

/** JSON text already written, spliced into an answer as it is (a cached resource in a Bundle). */
export class RawJson {
  constructor(readonly text: string) {}
}

const rawCache = new WeakMap<object, RawJson>();

/**
 * A resource's JSON, written once per object: the index's served copies are never mutated, so a
 * resource that many searches return is serialised once, not once per answer.
 */
export function rawOf(resource: object): RawJson {
  let raw = rawCache.get(resource);
  if (!raw) rawCache.set(resource, (raw = new RawJson(stringifyFhir(resource))));
  return raw;
}

/**
 * The facade's answers as JSON text: what lossless-json's stringify writes (decimals as they came),
 * and RawJson spliced as it is. Written here because lossless-json has no way to splice text that
 * is not a number (its number stringifiers must return a number).
 */
export function writeAnswer(value: unknown): string {
  return write(value) ?? 'null';
}

function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
  }
  if (v === null) return 'null';
  if (v instanceof RawJson) return v.text;
  if (isLosslessNumber(v)) return v.toString();
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return write((v as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(v)) return `[${v.map((x) => write(x) ?? 'null').join(',')}]`;
  let out = '';
  for (const k of Object.keys(v)) {
    const s = write((v as Record<string, unknown>)[k]);
    if (s !== undefined) out += `${out ? ',' : ''}${JSON.stringify(k)}:${s}`;
  }
  return `{${out}}`;
}
