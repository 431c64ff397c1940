import { SalusError, bytesEqual, toHex, v, type Canonical } from '@salus/core';
import { decodeEvidence, defaultTendermintOptions, offenceOf, verifyEvidence } from '@salus/consensus';
import { toConsensusValidators, validatorsForHeight } from '@salus/governance';
import { evidenceRoutes } from './routes.js';
import { type FaultyRecord, EVIDENCE_AGE_BLOCKS_MAX, evidenceKey, faultyKey } from './state.js';
import type { AppModule, TxContext } from '@salus/module';

/**
 * Evidence of double signing (CometBFT's evidence module, plus the proposal kind it lacks): two
 * conflicting votes signed by one validator for the same height, round and type; or two different
 * proposals signed by one validator for the same height and round (an equivocating proposer). Any
 * node that sees them submits them; every validator, executing the transaction, checks the
 * evidence again (`verifyEvidence`: both signatures, a real conflict, a validator of the set),
 * records the validator as faulty (once per height, round and type — 'prevote', 'precommit' or
 * 'proposal') and emits an event. Removing it is governance's decision (`remove_validator`). Any
 * key may submit — the evidence, not the submitter, is what counts.
 */
function parse(payload: Canonical): Uint8Array {
  const r = v.record(payload, 'payload');
  v.onlyKeys(r, ['evidence'], 'payload');
  return v.bytes(r.evidence, 'evidence');
}

function deliver(ctx: TxContext, _type: string, payload: Canonical): void {
  const ev = decodeEvidence(parse(payload), { chainId: ctx.chainId, roundMax: defaultTendermintOptions.roundMax });
  const o = offenceOf(ev);
  if (o.height > ctx.height || ctx.height - o.height > EVIDENCE_AGE_BLOCKS_MAX) {
    throw new SalusError('INVALID_FIELD', `evidence for height ${o.height} is outside the ${EVIDENCE_AGE_BLOCKS_MAX} blocks before ${ctx.height}`);
  }
  const validators = toConsensusValidators(validatorsForHeight(ctx.state, ctx.height));
  verifyEvidence(ctx.ed, ctx.chainId, ev, validators);
  const validator = toHex(o.validator);
  const id = evidenceKey(validator, o.height, o.round, o.type);
  if (ctx.state.has(id)) throw new SalusError('CONFLICT', 'this double signature is already recorded');
  ctx.state.set(id, { reportedAt: ctx.height, tx: toHex(ctx.txHash), reporter: ctx.signerHex });
  const prev = ctx.state.get(faultyKey(validator)) as FaultyRecord | undefined;
  const power = validators.find((x) => bytesEqual(x.pubKey, o.validator))?.power ?? 0;
  const rec: FaultyRecord = { validator, power, offences: (prev?.offences ?? 0) + 1, firstHeight: prev?.firstHeight ?? o.height, lastHeight: o.height, lastReportedAt: ctx.height };
  ctx.state.set(faultyKey(validator), rec as unknown as Canonical);
  ctx.emit('evidence.double_sign', { validator, height: o.height, round: o.round, type: o.type });
}

export const evidenceModule: AppModule = {
  name: 'evidence',
  txs: {
    types: { submit: { summary: 'Two conflicting votes, or two proposals for one round, signed by one validator', open: true } },
    check: (_type, payload) => void parse(payload),
    deliver,
  },
  events: [{ type: 'evidence.double_sign', attributes: ['validator', 'height', 'round', 'type'] }],
  routes: evidenceRoutes,
};
