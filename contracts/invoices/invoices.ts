// Invoices between a provider and a payer: the provider issues, the payer approves and pays or
// disputes, the provider settles a dispute with a (lower) amount or cancels. Amounts are integer
// cents; the outstanding total of each provider–payer pair is kept in state. Parties are signer
// keys; no health data is stored (the `ref` is the parties' own reference, opaque here).
import { ctx, emit, fail, hasRole, requireSigner, state } from '@salus/contracts/sdk';

type Status = 'issued' | 'approved' | 'disputed' | 'paid' | 'cancelled';
type Invoice = {
  id: string;
  provider: string;
  payer: string;
  amount: number;
  ref: string;
  status: Status;
  issuedAt: number;
  note: string | null;
};
type Pair = {
  outstanding: number;
  paid: number;
  invoices: number;
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[0-9a-f]{64}$/;
const MAX_AMOUNT = 1_000_000_000_00;

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max) fail('INVALID_ARGS', `${what} must be a string of at most ${max} characters`);
  return v as string;
}

function load(id: unknown): Invoice {
  if (typeof id !== 'string' || !ID.test(id)) fail('INVALID_ARGS', 'id must be 1-64 letters, digits, _ or -');
  const inv = state.get<Invoice>(`inv/${id}`);
  if (!inv) fail('NOT_FOUND', `no invoice ${id}`);
  return inv as Invoice;
}

function pairKey(provider: string, payer: string): string {
  return `pair/${provider}/${payer}`;
}

function adjust(inv: Invoice, outstanding: number, paid: number): void {
  const key = pairKey(inv.provider, inv.payer);
  const p = state.get<Pair>(key) ?? { outstanding: 0, paid: 0, invoices: 0 };
  state.set(key, { outstanding: p.outstanding + outstanding, paid: p.paid + paid, invoices: p.invoices + (outstanding > 0 && paid === 0 ? 1 : 0) });
}

function move(inv: Invoice, from: Status[], to: Status): Invoice {
  if (!from.includes(inv.status)) fail('BAD_TRANSITION', `invoice ${inv.id} is ${inv.status}; it cannot become ${to}`);
  const next = { ...inv, status: to };
  state.set(`inv/${inv.id}`, next);
  if (to === 'paid' || to === 'cancelled') state.delete(`open/${inv.payer}/${inv.id}`);
  emit(`invoice.${to}`, { id: inv.id, provider: inv.provider, payer: inv.payer, amount: next.amount });
  return next;
}

export function issue(args: { id: string; payer: string; amount: number; ref?: string }): Invoice {
  // providers are the signers whose organisation is a hospital or a clinic (roles as the identity module records them)
  if (!hasRole('hospital') && !hasRole('clinic')) fail('NOT_A_PROVIDER', 'invoices are issued by a hospital or a clinic');
  const { signer, time } = ctx();
  const amount = args.amount;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_AMOUNT) fail('INVALID_ARGS', 'amount must be a positive integer number of cents');
  if (typeof args.payer !== 'string' || !KEY.test(args.payer)) fail('INVALID_ARGS', 'payer must be a 64-hex-digit key');
  if (args.payer === signer) fail('INVALID_ARGS', 'a provider cannot invoice itself');
  if (typeof args.id !== 'string' || !ID.test(args.id)) fail('INVALID_ARGS', 'id must be 1-64 letters, digits, _ or -');
  if (state.get(`inv/${args.id}`) !== undefined) fail('EXISTS', `invoice ${args.id} exists`);
  const inv: Invoice = { id: args.id, provider: signer, payer: args.payer, amount, ref: text(args.ref ?? '', 'ref', 128), status: 'issued', issuedAt: time, note: null };
  state.set(`inv/${inv.id}`, inv);
  state.set(`open/${inv.payer}/${inv.id}`, inv.amount);
  adjust(inv, amount, 0);
  emit('invoice.issued', { id: inv.id, provider: inv.provider, payer: inv.payer, amount });
  return inv;
}

export function approve(args: { id: string }): Invoice {
  const inv = load(args.id);
  requireSigner(inv.payer);
  return move(inv, ['issued'], 'approved');
}

export function pay(args: { id: string }): Invoice {
  const inv = load(args.id);
  requireSigner(inv.payer);
  const paid = move(inv, ['approved'], 'paid');
  adjust(inv, -inv.amount, inv.amount);
  return paid;
}

export function dispute(args: { id: string; note: string }): Invoice {
  const inv = load(args.id);
  requireSigner(inv.payer);
  const note = text(args.note, 'note', 280);
  if (note.length === 0) fail('INVALID_ARGS', 'a dispute needs a note');
  return move({ ...inv, note }, ['issued', 'approved'], 'disputed');
}

/** The provider settles a dispute at `amount` (at most the invoiced amount); the payer then pays it. */
export function settle(args: { id: string; amount: number }): Invoice {
  const inv = load(args.id);
  requireSigner(inv.provider);
  if (!Number.isSafeInteger(args.amount) || args.amount <= 0 || args.amount > inv.amount) fail('INVALID_ARGS', 'the settled amount must be positive and at most the invoiced amount');
  adjust(inv, args.amount - inv.amount, 0);
  return move({ ...inv, amount: args.amount }, ['disputed'], 'approved');
}

export function cancel(args: { id: string }): Invoice {
  const inv = load(args.id);
  requireSigner(inv.provider);
  const done = move(inv, ['issued', 'disputed'], 'cancelled');
  adjust(inv, -inv.amount, 0);
  return done;
}

export function invoice(args: { id: string }): Invoice {
  return load(args.id);
}

export function balance(args: { provider: string; payer: string }): Pair {
  return state.get<Pair>(pairKey(args.provider, args.payer)) ?? { outstanding: 0, paid: 0, invoices: 0 };
}

/** The payer's unpaid invoices (id → amount), a page of at most 50 after `after`. */
export function open(args: { payer: string; after?: string }): { id: string; amount: number }[] {
  const prefix = `open/${args.payer}/`;
  const rows = state.list<number>(prefix, { after: args.after === undefined ? undefined : prefix + args.after, limit: 50 });
  return rows.map(([k, amount]) => ({ id: k.slice(prefix.length), amount }));
}
