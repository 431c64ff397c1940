import { SalusError, v, type Canonical } from '@salus/core';
import { ORG_ID } from '@salus/module';
import { CAPTURE_BYTES_MAX, readCaptureDocument, type CapturedDocument } from '../epcis/document.js';
import { checkDigit } from '../epcis/identifiers.js';

/** The supply module's transactions and their stateless checks. */
export type SupplyTxType = 'capture' | 'recall' | 'undo_dispense' | 'register_prefix';

/** An EPCISDocument's JSON text, as the capturing system sent it (the signature covers exactly it). */
export interface Capture {
  readonly document: string;
  readonly parsed: CapturedDocument;
}
export interface Recall {
  readonly gtin: string;
  readonly lot: string;
  readonly reason: string;
}
export interface UndoDispense {
  readonly gtin: string;
  readonly serial: string;
}
export interface RegisterPrefix {
  readonly prefix: string;
  readonly org: string;
}

export const PREFIX = /^\d{6,12}$/;

export function parseGtin(x: unknown, field: string): string {
  const g = v.str(x, field, 14, /^\d{8}$|^\d{12,14}$/).padStart(14, '0');
  if (checkDigit(g.slice(0, -1)) !== Number(g.slice(-1))) throw new SalusError('EPCIS_INVALID', `${field} ${x as string}: the check digit is wrong`, { field });
  return g;
}

export function parseSupplyPayload(type: string, payload: Canonical): Capture | Recall | UndoDispense | RegisterPrefix {
  const r = v.record(payload, 'payload');
  switch (type as SupplyTxType) {
    case 'capture': {
      v.onlyKeys(r, ['document'], 'payload');
      if (typeof r.document === 'string' && r.document.length > CAPTURE_BYTES_MAX) return { document: r.document, parsed: readCaptureDocument(r.document) };
      const document = v.str(r.document, 'document', CAPTURE_BYTES_MAX);
      return { document, parsed: readCaptureDocument(document) };
    }
    case 'recall':
      v.onlyKeys(r, ['gtin', 'lot', 'reason'], 'payload');
      return { gtin: parseGtin(r.gtin, 'gtin'), lot: v.str(r.lot, 'lot', 20), reason: v.str(r.reason, 'reason', 500) };
    case 'undo_dispense':
      v.onlyKeys(r, ['gtin', 'serial'], 'payload');
      return { gtin: parseGtin(r.gtin, 'gtin'), serial: v.str(r.serial, 'serial', 20) };
    case 'register_prefix':
      v.onlyKeys(r, ['prefix', 'org'], 'payload');
      return { prefix: v.str(r.prefix, 'prefix', 12, PREFIX), org: v.str(r.org, 'org', 63, ORG_ID) };
    default:
      throw new SalusError('UNKNOWN_TYPE', `supply has no transaction type ${type}`);
  }
}
