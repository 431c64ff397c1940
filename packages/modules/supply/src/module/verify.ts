import type { KV } from '@salus/module';
import { getPack, getRecall, type PackRecord } from './state.js';

/**
 * Verification at the point of dispensing (as the EU FMD check and the DSCSA Verification Router
 * Service answer it): valid, or invalid with a reason and what the pharmacist should do.
 */
export type VerifyReason = 'unknown-serial' | 'lot-mismatch' | 'expiry-mismatch' | 'already-dispensed' | 'recalled' | 'expired' | 'stolen' | 'suspect' | 'destroyed' | 'decommissioned' | 'not-shipped-to-this-pharmacy';

export interface VerifyAnswer {
  readonly valid: boolean;
  readonly reason?: VerifyReason;
  /** what to do, in words a pharmacist acts on */
  readonly action: string;
  readonly pack?: PackRecord;
}

const ACTION: Record<VerifyReason, string> = {
  'unknown-serial': 'Do not dispense: no manufacturer commissioned this serial number. Quarantine the pack as a suspected falsification and report it.',
  'lot-mismatch': 'Do not dispense: the lot on the pack differs from the lot its manufacturer recorded, a sign of a falsified pack. Quarantine and report it.',
  'expiry-mismatch': 'Do not dispense: the expiry on the pack differs from the one its manufacturer recorded, a sign of a falsified pack. Quarantine and report it.',
  'already-dispensed': 'Do not dispense: this serial was already dispensed, so this pack carries a copied code. Quarantine and report it.',
  recalled: "Do not dispense: the manufacturer recalled this lot. Quarantine the pack and follow the recall's instructions.",
  expired: 'Do not dispense: the pack is past its expiry date. Return or destroy it.',
  stolen: 'Do not dispense: this pack was reported stolen. Quarantine it and report it.',
  suspect: 'Do not dispense: this pack is under investigation as suspect. Quarantine it.',
  destroyed: 'Do not dispense: this pack was recorded as destroyed, so this code is a copy. Quarantine and report it.',
  decommissioned: 'Do not dispense: this pack was taken out of the supply chain. Quarantine it and ask its supplier.',
  'not-shipped-to-this-pharmacy': 'Do not dispense yet: the ledger shows this pack owned by another party and not shipped to you. Check the delivery with your supplier.',
};

const invalid = (reason: VerifyReason, pack?: PackRecord): VerifyAnswer => ({ valid: false, reason, action: ACTION[reason], ...(pack ? { pack } : {}) });

/** YYMMDD (GS1 AI 17, day 00 meaning the month's end) or YYYY-MM-DD, as YYYY-MM-DD. */
export function normaliseExpiry(x: string): string | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(x)) return x;
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(x);
  if (!m) return null;
  const year = 2000 + Number(m[1]);
  const day = m[3] === '00' ? new Date(Date.UTC(year, Number(m[2]), 0)).getUTCDate() : Number(m[3]);
  return `${year}-${m[2]}-${String(day).padStart(2, '0')}`;
}

export function verifyPack(kv: KV, q: { gtin: string; serial: string; lot?: string; expiry?: string; org?: string }, now: number): VerifyAnswer {
  const p = getPack(kv, q.gtin, q.serial);
  if (!p) return invalid('unknown-serial');
  if (q.lot !== undefined && p.lot !== null && q.lot !== p.lot) return invalid('lot-mismatch', p);
  if (q.expiry !== undefined && p.expiry !== null && q.expiry !== p.expiry) return invalid('expiry-mismatch', p);
  if (p.status === 'dispensed') return invalid('already-dispensed', p);
  if (p.status === 'recalled' || (p.lot !== null && getRecall(kv, p.gtin, p.lot))) return invalid('recalled', p);
  if (p.status === 'stolen' || p.status === 'suspect' || p.status === 'destroyed' || p.status === 'decommissioned' || p.status === 'expired') return invalid(p.status, p);
  if (p.expiry !== null && p.expiry < new Date(now).toISOString().slice(0, 10)) return invalid('expired', p);
  if (q.org !== undefined && p.owner !== q.org && !(p.status === 'shipped' && p.shippedTo === q.org)) return invalid('not-shipped-to-this-pharmacy', p);
  return { valid: true, action: 'The pack is genuine and may be dispensed.', pack: p };
}
