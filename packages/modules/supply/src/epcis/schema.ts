import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SalusError } from '@salus/core';

/**
 * GS1's official JSON Schema for EPCIS 2.0 documents (draft 7, shipped unchanged in this package's
 * `schema/` with GS1's notice), compiled once with ajv. Validation is a pure function of the
 * document, so every validator reaches the same verdict.
 */
const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
const SCHEMA = JSON.parse(readFileSync(new URL('../../schema/EPCIS-JSON-Schema.json', import.meta.url), 'utf8')) as { definitions: Record<string, { anyOf?: { enum?: string[] }[] }> };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: true });
    addFormats(ajv);
    compiled = ajv.compile(SCHEMA);
  }
  return compiled;
}

/** The CBV words the schema lists for a vocabulary (bizStep, disposition, ...). */
export function cbvWords(definition: 'bizStep' | 'disposition'): ReadonlySet<string> {
  return new Set(SCHEMA.definitions[definition]?.anyOf?.flatMap((x) => x.enum ?? []) ?? []);
}

/** event index and field of an ajv error's instance path (`/epcisBody/eventList/3/bizStep`) */
function located(e: ErrorObject): { event?: number; field: string } {
  const m = /^\/epcisBody\/eventList\/(\d+)(\/.*)?$/.exec(e.instancePath);
  if (m) return { event: Number(m[1]), field: (m[2] ?? '').slice(1).replaceAll('/', '.') || 'event' };
  return { field: e.instancePath.slice(1).replaceAll('/', '.') || 'document' };
}

/** Throws EPCIS_INVALID with the event and field named when the document fails GS1's schema. */
export function validateSchema(doc: unknown): void {
  const v = validator();
  if (v(doc)) return;
  // the deepest error names the field; the schema's if/then branches add wrappers above it
  const errs = v.errors ?? [];
  const e = errs.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a), errs[0]!);
  const at = located(e);
  const where = at.event === undefined ? at.field : `event ${at.event}, ${at.field}`;
  throw new SalusError('EPCIS_INVALID', `the document fails GS1's EPCIS schema at ${where}: ${e.message ?? 'invalid'}`, { ...at, epcisException: 'ValidationException' });
}
