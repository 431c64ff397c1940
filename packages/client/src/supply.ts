import { SalusError, toHex, type Canonical } from '@salus/core';
import type { SalusClient, StateResponse } from './api.js';
import type { Wallet } from './wallet.js';

/**
 * Drug traceability (the supply module) from an application: EPCIS 2.0 capture through the REST
 * binding, signed by a member of the capturing organisation; the EPCIS events query; verification
 * at dispensing; a pack's trace with its state proofs checked; lot recalls and dispense undos.
 */
export interface VerifyResult {
  readonly gtin: string;
  readonly serial: string;
  readonly height: number;
  readonly valid: boolean;
  readonly reason?: string;
  readonly action: string;
  readonly pack?: Record<string, unknown>;
}

export interface CaptureJob {
  readonly captureID: string;
  readonly running: boolean;
  readonly success: boolean;
  readonly errors: readonly { readonly type: string; readonly title: string; readonly detail?: string }[];
}

export interface EventQueryParams {
  readonly EQ_bizStep?: string;
  readonly MATCH_epc?: string;
  readonly MATCH_parentID?: string;
  readonly MATCH_anyEPC?: string;
  readonly GE_eventTime?: string;
  readonly LT_eventTime?: string;
  readonly EQ_bizLocation?: string;
  readonly eventType?: string;
  readonly perPage?: number;
  readonly nextPageToken?: string;
}

export interface EPCISQueryDocument {
  readonly type: 'EPCISQueryDocument';
  readonly epcisBody: { readonly queryResults: { readonly resultsBody: { readonly eventList: Record<string, unknown>[] } } };
}

export class SupplyClient {
  constructor(
    private readonly client: SalusClient,
    private readonly wallet?: Wallet,
  ) {}

  private need(): Wallet {
    if (!this.wallet) throw new SalusError('INVALID_FIELD', 'this needs a signing key: new SupplyClient(client, wallet)');
    return this.wallet;
  }

  /**
   * Captures an EPCISDocument (object or its JSON text) through `POST /epcis/capture`, signed by
   * this wallet; waits for the capture job to finish and returns it (success, or the EPCIS error).
   * A document the node refuses at once throws its typed error.
   */
  async capture(document: unknown, o: { waitMs?: number } = {}): Promise<CaptureJob> {
    const w = this.need();
    const text = typeof document === 'string' ? document : JSON.stringify(document);
    const { chainId } = await this.client.status();
    const nonce = await this.client.nextNonce(w.publicKeyHex);
    const { tx } = w.buildTx({ chainId, nonce, module: 'supply', type: 'capture', payload: { document: text } });
    const headers = { 'salus-signer': w.publicKeyHex, 'salus-nonce': String(nonce), 'salus-signature': toHex(tx.signature), 'content-type': 'application/ld+json' };
    const { captureID } = await this.client.request<{ captureID: string }>('POST', '/epcis/capture', { raw: new TextEncoder().encode(text), headers });
    const until = Date.now() + (o.waitMs ?? 30_000);
    for (;;) {
      const job = await this.client.request<CaptureJob>('GET', `/epcis/capture/${captureID}`).catch((e: unknown) => {
        // between the mempool and the block store a job is briefly in neither
        if (e instanceof SalusError && e.code === 'NOT_FOUND' && Date.now() < until) return undefined;
        throw e;
      });
      if (job && !job.running) return job;
      if (Date.now() > until) throw new SalusError('TIMEOUT', `capture job ${captureID} did not finish in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** One page of an events query; `nextPageToken` is read from the answer's Link header (rel="next"), as the REST binding gives it. */
  async events(q: EventQueryParams = {}): Promise<EPCISQueryDocument & { readonly nextPageToken?: string }> {
    const p = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
    let link: string | null = null;
    const doc = await this.client.request<EPCISQueryDocument>('GET', `/epcis/events${p.size > 0 ? `?${p.toString()}` : ''}`, { onHeaders: (h) => void (link = h.get('link')) });
    const next = link === null ? undefined : /<[^>]*[?&]nextPageToken=([^&>]+)[^>]*>;\s*rel="next"/.exec(link)?.[1];
    return next === undefined ? doc : { ...doc, nextPageToken: decodeURIComponent(next) };
  }

  /** Every event matching a query, following nextPageToken. */
  async allEvents(q: EventQueryParams = {}): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let token: string | undefined;
    do {
      const page = await this.events({ ...q, ...(token ? { nextPageToken: token } : {}) });
      out.push(...page.epcisBody.queryResults.resultsBody.eventList);
      token = page.nextPageToken;
    } while (token);
    return out;
  }

  verify(q: { gtin: string; serial: string; lot?: string; expiry?: string; org?: string }): Promise<VerifyResult> {
    const p = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as [string, string][]);
    return this.client.request('GET', `/supply/verify?${p.toString()}`);
  }

  /** A pack's history; every state proof in it is checked against the validators that signed its header. */
  async trace(epc: string): Promise<{ epc: string; pack: StateResponse; events: { event: Record<string, unknown>; proof: StateResponse }[] }> {
    const t = await this.client.request<{ epc: string; pack: StateResponse; events: { event: Record<string, unknown>; proof: StateResponse }[] }>('GET', `/supply/trace?epc=${encodeURIComponent(epc)}`);
    this.client.verifyState(t.pack);
    for (const e of t.events) {
      this.client.verifyState(e.proof);
      const stored = e.proof.decoded as { json?: string } | null;
      if (!stored?.json || JSON.stringify(JSON.parse(stored.json)) !== JSON.stringify(withoutRecordTime(e.event))) throw new SalusError('BAD_PROOF', 'an event of the trace differs from the proven one');
    }
    return t;
  }

  /** A manufacturer recalls one lot of its GTIN: every pack of it answers "recalled" at verification. */
  recall(gtin: string, lot: string, reason: string) {
    return this.client.send(this.need(), 'supply', 'recall', { gtin, lot, reason } as Canonical);
  }

  /** The pharmacy that dispensed a pack undoes it (within 10 days). */
  undoDispense(gtin: string, serial: string) {
    return this.client.send(this.need(), 'supply', 'undo_dispense', { gtin, serial } as Canonical);
  }
}

function withoutRecordTime(e: Record<string, unknown>): Record<string, unknown> {
  const { recordTime: _r, ...rest } = e;
  return rest;
}
