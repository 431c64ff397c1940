import { SalusError, type Canonical } from '@salus/core';
import type { AppModule, TxTypeDoc } from '@salus/module';
import { SUPPLY_ERRORS } from '../errors.js';
import { parseSupplyPayload, type Capture, type Recall, type RegisterPrefix, type SupplyTxType, type UndoDispense } from './payloads.js';
import { deliverCapture, deliverRecall, deliverRegisterPrefix, deliverUndoDispense } from './handlers.js';
import { initSupplyGenesis, parseSupplyGenesis } from './genesis.js';
import { supplyRoutes } from './routes.js';
import { registerSupplyCli } from './cli.js';
import { captureServiceRoutes } from '../service/capture-routes.js';

const TX_TYPES: Record<SupplyTxType, TxTypeDoc> = {
  capture: { summary: "An EPCISDocument's text, captured for the signer's organisation: all its events, or none (POST /epcis/capture sends it)" },
  recall: { summary: "A manufacturer recalls one lot of its GTIN: every pack of it answers 'recalled' at verification" },
  undo_dispense: { summary: 'The pharmacy that dispensed a pack undoes the dispense, within 10 days' },
  register_prefix: { summary: "A regulator's admin records a GS1 company prefix as an organisation's" },
};

/**
 * Drug traceability (ADR 0015): GS1 EPCIS 2.0 events captured on the ledger, a state machine per
 * serialised pack derived from them, verification at dispensing, and lot recalls.
 */
export const supplyModule: AppModule = {
  name: 'supply',
  txs: {
    types: TX_TYPES,
    check: (type, payload) => void parseSupplyPayload(type, payload),
    deliver(ctx, type, payload: Canonical) {
      const p = parseSupplyPayload(type, payload);
      switch (type as SupplyTxType) {
        case 'capture':
          return deliverCapture(ctx, p as Capture);
        case 'recall':
          return deliverRecall(ctx, p as Recall);
        case 'undo_dispense':
          return deliverUndoDispense(ctx, p as UndoDispense);
        case 'register_prefix':
          return deliverRegisterPrefix(ctx, p as RegisterPrefix);
      }
    },
  },
  genesis: {
    validate(section, genesis) {
      try {
        const entries = parseSupplyGenesis(section, genesis);
        for (const [a] of entries) for (const [b] of entries) if (a !== b && b.startsWith(a)) throw new SalusError('CONFIG', `company prefixes ${a} and ${b} overlap`);
      } catch (e) {
        if (e instanceof SalusError && e.code !== 'CONFIG') throw new SalusError('CONFIG', `genesis.modules.supply is invalid: ${e.message}`);
        throw e;
      }
    },
    init(kv, section, genesis) {
      initSupplyGenesis(kv, parseSupplyGenesis(section, genesis));
    },
  },
  errors: SUPPLY_ERRORS,
  events: [
    { type: 'supply.captured', attributes: ['org', 'events', 'first', 'last'] },
    { type: 'supply.recalled', attributes: ['gtin', 'lot', 'by'] },
    { type: 'supply.dispense_undone', attributes: ['gtin', 'serial', 'by'] },
    { type: 'supply.prefix_registered', attributes: ['prefix', 'org'] },
  ],
  routes: supplyRoutes,
  cli: registerSupplyCli,
  // the EPCIS capture interface: it submits the signed capture transactions its clients send
  service: (deps) => ({ routes: captureServiceRoutes(deps) }),
};
