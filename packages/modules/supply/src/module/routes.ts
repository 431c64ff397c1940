import type { FastifyInstance } from 'fastify';
import { SalusError } from '@salus/core';
import type { RouteServices } from '@salus/module';
import { parseGtin } from './payloads.js';
import { parseEventQuery, runEventQuery, eventsOf, answerEvent } from './query.js';
import { normaliseExpiry, verifyPack } from './verify.js';
import { eventKey, packKey, tracePrefix, type StoredEvent } from './state.js';
import { parseId } from '../epcis/identifiers.js';
import { epcisProblems } from './problem.js';

const STANDARD_CONTEXT = 'https://ref.gs1.org/standards/epcis/epcis-context.jsonld';
const TRACE_MAX = 200;
const TRACE_WAIT_MS = 15_000;

/** Read-only routes over the supply state, served by every node: EPCIS query, verification and trace. */
export function supplyRoutes(app: FastifyInstance, s: RouteServices): void {
  void app.register(async (scope) => {
    epcisProblems(scope);
    epcisQueryRoute(scope, s);
  });
  verifyRoutes(app, s);
}

function epcisQueryRoute(app: FastifyInstance, s: RouteServices): void {
  app.get<{ Querystring: Record<string, string> }>('/epcis/events', { schema: { tags: ['supply'], summary: 'EPCIS 2.0 events query (EQ_bizStep, MATCH_epc, MATCH_parentID, MATCH_anyEPC, GE_eventTime, LT_eventTime, EQ_bizLocation, eventType, perPage, nextPageToken): an EPCISQueryDocument' } }, async (req, reply) => {
    const q = parseEventQuery(req.query);
    const r = runEventQuery(s.committed(), q);
    if (r.next !== undefined) {
      const params = new URLSearchParams({ ...req.query, nextPageToken: String(r.next) });
      void reply.header('link', `</epcis/events?${params.toString()}>; rel="next"`);
    }
    return {
      '@context': [STANDARD_CONTEXT],
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: new Date(s.clock.now()).toISOString(),
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: r.events } } },
    };
  });
}

function verifyRoutes(app: FastifyInstance, s: RouteServices): void {
  app.get<{ Querystring: { gtin: string; serial: string; lot?: string; expiry?: string; org?: string } }>(
    '/supply/verify',
    {
      schema: {
        tags: ['supply'],
        summary: "Verification at dispensing: valid, or invalid with a reason and what to do (unknown serial, lot or expiry mismatch, already dispensed, recalled, expired, stolen, suspect, not shipped to this pharmacy: give org)",
        querystring: { type: 'object', properties: { gtin: { type: 'string' }, serial: { type: 'string', maxLength: 20 }, lot: { type: 'string', maxLength: 20 }, expiry: { type: 'string' }, org: { type: 'string' } }, required: ['gtin', 'serial'], additionalProperties: false },
      },
    },
    async (req) => {
      const q = req.query;
      const gtin = parseGtin(q.gtin, 'gtin');
      const expiry = q.expiry === undefined ? undefined : normaliseExpiry(q.expiry);
      if (expiry === null) throw new SalusError('INVALID_FIELD', 'expiry is YYMMDD (as on the pack) or YYYY-MM-DD', { field: 'expiry' });
      return { gtin, serial: q.serial, height: s.lastHeight(), ...verifyPack(s.committed(), { gtin, serial: q.serial, ...(q.lot ? { lot: q.lot } : {}), ...(expiry ? { expiry } : {}), ...(q.org ? { org: q.org } : {}) }, s.clock.now()) };
    },
  );

  app.get<{ Querystring: { epc: string } }>(
    '/supply/trace',
    { schema: { tags: ['supply'], summary: "A pack's provable history: its state and each event naming it, each with a state proof against a committed header (verify them with SupplyClient.trace)", querystring: { type: 'object', properties: { epc: { type: 'string', maxLength: 300 } }, required: ['epc'] } } },
    async (req) => {
      const id = parseId(req.query.epc, 'epc');
      if (id.kind !== 'sgtin') throw new SalusError('INVALID_FIELD', 'trace takes a pack: an SGTIN as EPC URN or Digital Link', { field: 'epc' });
      // the history as of the latest block, proven once the next header commits to it (a block's wait at most)
      const kv = s.committed();
      const at = s.lastHeight();
      if (at < 1) throw new SalusError('NOT_FOUND', 'no block has committed yet');
      const seqs = eventsOf(kv, id.key, 0, TRACE_MAX, tracePrefix);
      await s.waitForHeight(at + 1, TRACE_WAIT_MS);
      return {
        epc: id.key,
        at,
        pack: s.prove(packKey(id.digits!, id.serial!), at),
        events: seqs.map((seq) => ({ event: answerEvent(kv.get(eventKey(seq)) as StoredEvent), proof: s.prove(eventKey(seq), at) })),
      };
    },
  );
}
