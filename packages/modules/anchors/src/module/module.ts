import { SalusError, type Canonical } from '@salus/core';
import type { AppModule, TxTypeDoc } from '@salus/module';
import { ANCHOR_ERRORS } from '../errors.js';
import { PARAMS_KEY, parseParams } from '../params.js';
import { parseAnchorPayload, type Anchor, type AnchorTxType, type Challenge, type Report, type Respond } from './payloads.js';
import { deliverAnchor, deliverChallenge, deliverReport, deliverRespond, expireChallenges } from './handlers.js';
import { anchorRoutes } from './routes.js';
import { registerAnchorsCli } from './cli.js';
import { Anchorer } from '../service/anchorer.js';
import { anchorServiceRoutes } from '../service/routes.js';
import { DEFAULT_SERVICE_OPTIONS } from '../service/options.js';

const TX_TYPES: Record<AnchorTxType, TxTypeDoc> = {
  anchor: { summary: "A node anchors a batch of signed items: its number under the node's anchoring key (an admin or service key), the sorted tree's root, its size and its deadline height" },
  report: { summary: 'A broken receipt: its batch not on the ledger by the deadline, or (with non-inclusion evidence) the item missing from it; recorded as misbehaviour of the anchoring key' },
  challenge: { summary: "Asks an anchoring key to prove an item of one of its receipts in the anchored batch; unanswered within challengeBlocks, it is recorded as misbehaviour" },
  respond: { summary: "Answers a challenge with the item's path in the anchored batch (anyone may send it)" },
};

/**
 * Layer 2 anchoring (ADR 0010): high-volume signed items are batched by a node into a sorted Merkle
 * tree whose root alone goes on the ledger, one transaction per batch; each item gets a receipt at
 * once and a proof against a committed header later; a receipt that was not kept is provable.
 * Domain-neutral: an item is an opaque hash with a kind and a label.
 */
export const anchorsModule: AppModule = {
  name: 'anchors',
  txs: {
    types: TX_TYPES,
    check: (type, payload) => void parseAnchorPayload(type, payload),
    deliver(ctx, type, payload: Canonical) {
      const p = parseAnchorPayload(type, payload);
      switch (type as AnchorTxType) {
        case 'anchor':
          return deliverAnchor(ctx, p as Anchor);
        case 'report':
          return deliverReport(ctx, p as Report);
        case 'challenge':
          return deliverChallenge(ctx, p as Challenge);
        case 'respond':
          return deliverRespond(ctx, p as Respond);
      }
    },
  },
  endBlock(ctx) {
    expireChallenges(ctx);
    return undefined;
  },
  genesis: {
    validate(section) {
      try {
        parseParams(section);
      } catch (e) {
        if (e instanceof SalusError && e.code !== 'CONFIG') throw new SalusError('CONFIG', `genesis.modules.anchors is invalid: ${e.message}`);
        throw e;
      }
    },
    // written only when the genesis has a section: a chain made before the module existed replays to the same app hash, on the defaults
    init(kv, section) {
      if (section !== undefined) kv.set(PARAMS_KEY, parseParams(section) as unknown as Canonical);
    },
  },
  errors: ANCHOR_ERRORS,
  events: [
    { type: 'anchors.anchored', attributes: ['anchorer', 'batch', 'root', 'count', 'deadline'] },
    { type: 'anchors.misbehaviour', attributes: ['anchorer', 'org', 'batch', 'item', 'reason'] },
    { type: 'anchors.challenged', attributes: ['anchorer', 'batch', 'item', 'due'] },
    { type: 'anchors.answered', attributes: ['anchorer', 'batch', 'item'] },
  ],
  routes: anchorRoutes,
  cli: registerAnchorsCli,
  // the batcher: this node takes items, signs receipts and anchors batches with its organisation's key
  service(deps) {
    const a = new Anchorer(deps, DEFAULT_SERVICE_OPTIONS);
    return { routes: anchorServiceRoutes(a), start: () => a.start(), onBlock: (h) => a.onBlock(h), stop: () => a.stop() };
  },
};
