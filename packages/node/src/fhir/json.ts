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
