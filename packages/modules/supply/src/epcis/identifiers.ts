import { SalusError } from '@salus/core';

/**
 * GS1 identifiers as EPCIS carries them, in both spellings: EPC URNs (`urn:epc:id:sgtin:…`) and GS1
 * Digital Link URIs (`https://id.gs1.org/01/…/21/…`, on any host). Hand-written: the GS1 libraries
 * on npm are browser bundles or cover barcodes, not the EPC URN and Digital Link forms together;
 * the rules (GS1 General Specifications §7.9, EPC Tag Data Standard §6, Digital Link §4) are short.
 * Every identifier becomes one canonical key (`sgtin:<gtin14>:<serial>`, ...) so that both
 * spellings of one pack meet in the ledger's state. Identifiers of other kinds (GRAI, GIAI, ...)
 * are kept as they are, with no rule attached.
 */
export type IdKind = 'sgtin' | 'sscc' | 'sgln' | 'lgtin' | 'pgln' | 'other';

export interface Gs1Id {
  readonly kind: IdKind;
  /** the canonical key: both spellings of one identifier give the same */
  readonly key: string;
  /** GTIN-14 (sgtin, lgtin), SSCC-18 (sscc), GLN-13 (sgln, pgln) */
  readonly digits?: string;
  readonly serial?: string;
  readonly lot?: string;
  /** where the company prefix starts in `digits` (after a GTIN-14's indicator or an SSCC's extension digit) */
  readonly prefixFrom?: number;
  /** the company prefix, when the spelling states it (EPC URNs do; Digital Link does not) */
  readonly companyPrefix?: string;
}

/** The GS1 check digit of a string of digits (mod 10, weights 3 and 1 from the right). */
export function checkDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

const bad = (value: string, why: string, field: string) => new SalusError('EPCIS_INVALID', `${value} is not a valid identifier: ${why}`, { field, value, epcisException: 'ValidationException' });

function withCheck(value: string, field: string, cp: string, ref: string, length: number, move = 0): string {
  if (!/^\d+$/.test(cp) || !/^\d*$/.test(ref)) throw bad(value, 'company prefix and reference are digits', field);
  if (cp.length < 6 || cp.length > 12) throw bad(value, 'a company prefix has 6 to 12 digits', field);
  if (cp.length + ref.length !== length - 1) throw bad(value, `company prefix and reference make ${length - 1} digits`, field);
  // the indicator (GTIN) or extension (SSCC) digit leads the reference in a URN and the key in GS1 digits
  const body = ref.slice(0, move) + cp + ref.slice(move);
  return body + checkDigit(body);
}

function decode(s: string, value: string, field: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw bad(value, 'bad percent-encoding', field);
  }
}

function requireCheck(digits: string, value: string, field: string, lengths: readonly number[]): string {
  if (!/^\d+$/.test(digits) || !lengths.includes(digits.length)) throw bad(value, `a key of ${lengths.join(' or ')} digits`, field);
  if (checkDigit(digits.slice(0, -1)) !== Number(digits.slice(-1))) throw bad(value, `check digit ${digits.slice(-1)} is wrong, it should be ${checkDigit(digits.slice(0, -1))}`, field);
  return digits;
}

const GS1_SERIAL = /^[!%-?A-Z_a-z"]{1,20}$/;

function serialOf(s: string, value: string, field: string, what: string): string {
  const x = decode(s, value, field);
  if (!GS1_SERIAL.test(x)) throw bad(value, `a ${what} is 1-20 characters of GS1's set`, field);
  return x;
}

const made = (kind: IdKind, digits: string, rest: { serial?: string; lot?: string; companyPrefix?: string }): Gs1Id => {
  const prefixFrom = kind === 'sgtin' || kind === 'lgtin' || kind === 'sscc' ? 1 : 0;
  const tail = rest.serial ?? rest.lot;
  return { kind, key: `${kind}:${digits}${tail === undefined ? '' : `:${encodeURIComponent(tail)}`}`, digits, prefixFrom, ...rest };
};

function fromUrn(value: string, field: string): Gs1Id {
  const m = /^urn:epc:(id|class):([a-z]+):(.*)$/.exec(value);
  if (!m) return { kind: 'other', key: value };
  const [, , scheme, rest] = m as unknown as [string, string, string, string];
  const p = rest.split('.');
  switch (scheme) {
    case 'sgtin':
      if (p.length !== 3) throw bad(value, 'an SGTIN URN is CompanyPrefix.IndicatorItemRef.Serial', field);
      return made('sgtin', withCheck(value, field, p[0]!, p[1]!, 14, 1), { serial: serialOf(p[2]!, value, field, 'serial'), companyPrefix: p[0]! });
    case 'lgtin':
      if (p.length !== 3) throw bad(value, 'an LGTIN URN is CompanyPrefix.IndicatorItemRef.Lot', field);
      return made('lgtin', withCheck(value, field, p[0]!, p[1]!, 14, 1), { lot: serialOf(p[2]!, value, field, 'lot'), companyPrefix: p[0]! });
    case 'sscc':
      if (p.length !== 2) throw bad(value, 'an SSCC URN is CompanyPrefix.ExtSerialRef', field);
      return made('sscc', withCheck(value, field, p[0]!, p[1]!, 18, 1), { companyPrefix: p[0]! });
    case 'sgln': {
      if (p.length !== 3) throw bad(value, 'an SGLN URN is CompanyPrefix.LocationRef.Extension', field);
      const ext = decode(p[2]!, value, field);
      return made('sgln', withCheck(value, field, p[0]!, p[1]!, 13), { companyPrefix: p[0]!, ...(ext === '0' ? {} : { serial: ext }) });
    }
    case 'pgln':
      if (p.length !== 2) throw bad(value, 'a PGLN URN is CompanyPrefix.PartyRef', field);
      return made('pgln', withCheck(value, field, p[0]!, p[1]!, 13), { companyPrefix: p[0]! });
    default:
      return { kind: 'other', key: value };
  }
}

/** A Digital Link path's primary key, padded: a GTIN-8/12/13 is a GTIN-14 with leading zeros. */
function fromDigitalLink(value: string, url: URL, field: string): Gs1Id {
  const seg = url.pathname.split('/').filter((x) => x !== '');
  // the primary key may follow path segments of a custom domain: find the first known AI
  const at = seg.findIndex((s) => ['01', '00', '414', '417'].includes(s));
  if (at < 0) return { kind: 'other', key: value };
  const [ai, key, q, qv] = seg.slice(at);
  if (key === undefined) throw bad(value, `AI ${ai} needs its value`, field);
  switch (ai) {
    case '01': {
      const gtin = requireCheck(key, value, field, [8, 12, 13, 14]).padStart(14, '0');
      if (q === '21' && qv !== undefined) return made('sgtin', gtin, { serial: serialOf(qv, value, field, 'serial') });
      if (q === '10' && qv !== undefined) return made('lgtin', gtin, { lot: serialOf(qv, value, field, 'lot') });
      if (q === undefined) return { kind: 'other', key: `gtin:${gtin}` };
      throw bad(value, 'a GTIN is qualified by 21 (serial) or 10 (lot)', field);
    }
    case '00':
      return made('sscc', requireCheck(key, value, field, [18]), {});
    case '414': {
      const gln = requireCheck(key, value, field, [13]);
      if (q === '254' && qv !== undefined) return made('sgln', gln, { serial: decode(qv, value, field) });
      return made('sgln', gln, {});
    }
    default:
      return made('pgln', requireCheck(key, value, field, [13]), {});
  }
}

/** Parses an identifier from an EPCIS field; throws EPCIS_INVALID naming the field when a GS1 one is malformed. */
export function parseId(value: string, field: string): Gs1Id {
  if (value.startsWith('urn:epc:')) return fromUrn(value, field);
  if (/^https?:\/\//.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw bad(value, 'not a URI', field);
    }
    return fromDigitalLink(value, url, field);
  }
  return { kind: 'other', key: value };
}

/** The keys a pack is known by in the ledger's state. */
export const packKeyOf = (gtin: string, serial: string) => `sgtin:${gtin}:${encodeURIComponent(serial)}`;
