// A payer's coverage rules over claims that carry diagnosis codes: a private contract whose parties
// are the payer and a provider. Each claim's lines are adjudicated against the plan (excluded
// diagnoses pay nothing, each line pays at most the plan's line limit, a claim id is paid once) and
// the provider's running total owed is kept. The claim itself (patient, codes, notes) stays in the
// parties' private state; the ledger sees only the claim id and the amount payable.
import { ctx, emit, fail, hasRole, state } from '@salus/contracts/sdk';

type Line = { code: string; diagnosis: string[]; amount: number };
type Claim = { id: string; patient: string; lines: Line[]; notes?: string };
type Decision = { code: string; payable: number; reason: 'covered' | 'excluded' | 'capped' };

/** ICD-10-CM categories this plan does not cover (cosmetic and elective procedures). */
const EXCLUDED = ['Z41', 'Z42'];
/** the most a line pays, in cents */
const LINE_LIMIT = 500_000;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CODE = /^[A-Z0-9.]{1,16}$/;

function check(c: Claim): void {
  if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || !ID.test(c.id)) fail('INVALID_ARGS', 'claim.id must be 1-64 letters, digits, _ or -');
  if (typeof c.patient !== 'string' || c.patient.length === 0 || c.patient.length > 128) fail('INVALID_ARGS', 'claim.patient is the patient reference');
  if (!Array.isArray(c.lines) || c.lines.length === 0 || c.lines.length > 50) fail('INVALID_ARGS', 'a claim has 1 to 50 lines');
  for (const l of c.lines) {
    if (typeof l.code !== 'string' || !CODE.test(l.code)) fail('INVALID_ARGS', 'a line code is a procedure code');
    if (!Array.isArray(l.diagnosis) || l.diagnosis.some((d) => typeof d !== 'string' || !CODE.test(d))) fail('INVALID_ARGS', 'line diagnoses are ICD-10 codes');
    if (!Number.isSafeInteger(l.amount) || l.amount <= 0) fail('INVALID_ARGS', 'a line amount is a positive integer of cents');
  }
  if (c.notes !== undefined && (typeof c.notes !== 'string' || c.notes.length > 16_000)) fail('INVALID_ARGS', 'notes are text of at most 16,000 characters');
}

function decide(l: Line): Decision {
  if (l.diagnosis.some((d) => EXCLUDED.some((p) => d.startsWith(p)))) return { code: l.code, payable: 0, reason: 'excluded' };
  return l.amount > LINE_LIMIT ? { code: l.code, payable: LINE_LIMIT, reason: 'capped' } : { code: l.code, payable: l.amount, reason: 'covered' };
}

/** A provider submits a claim; it is adjudicated at once. */
export function submit(claim: Claim) {
  if (!hasRole('hospital') && !hasRole('clinic')) fail('FORBIDDEN', 'claims are submitted by hospitals and clinics');
  check(claim);
  if (state.get(`claim/${claim.id}`)) fail('DUPLICATE', `claim ${claim.id} was already submitted`);
  const decisions = claim.lines.map(decide);
  const payable = decisions.reduce((s, d) => s + d.payable, 0);
  const provider = ctx().signer;
  state.set(`claim/${claim.id}`, { ...claim, provider, decisions, payable, at: ctx().time });
  const owed = (state.get<number>(`owed/${provider}`) ?? 0) + payable;
  state.set(`owed/${provider}`, owed);
  emit('claim.adjudicated', { claim: claim.id, payable });
  return { claim: claim.id, payable };
}

/** A claim with its decisions (parties only: a private query). */
export function claim(a: { id: string }) {
  return state.get(`claim/${a.id}`) ?? null;
}

/** What the payer owes a provider so far. */
export function owed(a: { provider: string }) {
  return state.get<number>(`owed/${a.provider}`) ?? 0;
}
