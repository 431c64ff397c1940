import type { Canonical } from '@salus/core';
import type { AppModule, TxTypeDoc } from '@salus/module';
import { CONTRACT_ERRORS } from '../errors.js';
import { checkContractCode } from '../bundle/check.js';
import { createContractRuntime } from '../runtime/runtime.js';
import { CONTRACTS_MODULE_ERRORS } from './errors.js';
import { createContractCaller } from './caller.js';
import { admitCall, approve, call, deploy, freeze, instantiate, upgrade } from './handlers.js';
import { parseContractPayload, type Approve, type Call, type ContractTxType, type Deploy, type Freeze, type Instantiate, type Upgrade } from './payloads.js';
import { contractEventRoutes, contractRoutes } from './routes.js';
import { registerContractCli } from './cli.js';
import { PRIVATE_ERRORS } from '../private/errors.js';
import { deliverPrivateCall, deliverReport } from '../private/handlers.js';
import type { PrivateCall, Report } from '../private/payloads.js';
import { PrivateExecution } from '../private/service.js';
import { privateRoutes } from '../private/routes.js';

const TX_TYPES: Record<ContractTxType, TxTypeDoc> = {
  deploy: { summary: 'Stores bundled contract code once, by its SHA-256, after checking it (no forbidden globals or imports)' },
  instantiate: { summary: "Creates a named instance of deployed code with its manifest, and runs the code's init" },
  call: { summary: 'Runs a method in the sandbox with a gas limit; its writes and events count only if it returns' },
  upgrade: { summary: "Moves an instance to new code and manifest, as its upgrade policy allows (the owner, or a proposal of the named organisations)" },
  freeze: { summary: 'Stops all further calls to an instance (queries still answer)' },
  approve: { summary: "An admin of a named organisation approves a contract proposal (activation, upgrade, freeze)" },
  private_call: { summary: "Commits a private contract call its parties' nodes ran and signed: the input's hash, the private-state roots before and after, the public outputs; the ledger checks the endorsement policy and that the before root is current" },
  report: { summary: 'Evidence that one key signed two different results for the same private input, state and context; its endorsements no longer count' },
};

// The WebAssembly engine loads once per process, before any block executes (top-level await).
const runtime = await createContractRuntime();
// Block execution reuses sandboxes within one block, from a fresh start at each beginBlock (runtime.ts).
const blocks = runtime.blockScoped();
const caller = createContractCaller(blocks);
// Queries keep their own sandboxes, apart from the block's; private execution gets a new sandbox per call.
const queries = createContractCaller(runtime.cached());
const fresh = createContractCaller(runtime);

/**
 * Smart contracts: TypeScript bundled to one ES module, run in a deterministic, metered QuickJS
 * sandbox on every validator, state in the authenticated state tree under `contracts/`.
 */
export const contractsModule: AppModule = {
  name: 'contracts',
  // every execution of a block, including one repeated after a failed commit, starts with no sandbox kept
  beginBlock: (ctx) => blocks.beginBlock(ctx.height),
  endBlock: () => {
    blocks.endBlock();
    return undefined;
  },
  txs: {
    types: TX_TYPES,
    check: (type, payload) => void parseContractPayload(type, payload),
    // contract code runs once per validator, in the block: admission checks only what is cheap to check
    admit(ctx, type, payload: Canonical) {
      const p = parseContractPayload(type, payload);
      if (type === 'call') return admitCall(ctx.state, p as Call, ctx.signerHex);
      if (type === 'instantiate') return instantiate(ctx, p as Instantiate);
      return this.deliver(ctx, type, payload);
    },
    deliver(ctx, type, payload: Canonical) {
      const p = parseContractPayload(type, payload);
      switch (type as ContractTxType) {
        case 'deploy':
          return deploy(ctx, p as Deploy, (code) => checkContractCode(code).methods);
        case 'instantiate':
          return instantiate(ctx, p as Instantiate, caller);
        case 'call':
          return call(ctx, p as Call, caller);
        case 'upgrade':
          return upgrade(ctx, p as Upgrade);
        case 'freeze':
          return freeze(ctx, p as Freeze);
        case 'approve':
          return approve(ctx, p as Approve);
        case 'private_call':
          return deliverPrivateCall(ctx, p as PrivateCall);
        case 'report':
          return deliverReport(ctx, p as Report);
      }
    },
  },
  errors: { ...CONTRACT_ERRORS, ...CONTRACTS_MODULE_ERRORS, ...PRIVATE_ERRORS },
  events: [
    { type: 'contracts.deployed', attributes: ['codeHash', 'size'] },
    { type: 'contracts.instantiated', attributes: ['contract', 'codeHash', 'version', 'status'] },
    { type: 'contracts.called', attributes: ['contract', 'method', 'result'] },
    { type: 'contracts.event', attributes: ['contract', 'event', 'data'] },
    { type: 'contracts.proposed', attributes: ['proposal', 'contract', 'action'] },
    { type: 'contracts.approved', attributes: ['proposal', 'org'] },
    { type: 'contracts.activated', attributes: ['contract'] },
    { type: 'contracts.upgraded', attributes: ['contract', 'codeHash', 'version'] },
    { type: 'contracts.frozen', attributes: ['contract'] },
    { type: 'contracts.private_called', attributes: ['contract', 'input', 'before', 'after', 'call', 'result', 'endorsedBy'] },
    { type: 'contracts.misbehaviour', attributes: ['key', 'org', 'contract', 'input'] },
  ],
  routes(app, services) {
    contractRoutes(queries)(app, services);
    contractEventRoutes(app, services);
  },
  cli: registerContractCli,
  // private contracts run on their parties' nodes: each node endorses and follows the calls of the contracts its organisation is a party to
  service(deps) {
    const ex = new PrivateExecution(deps, fresh);
    return { routes: privateRoutes(ex), start: () => ex.start(), onBlock: (h) => ex.onBlock(h), stop: () => ex.stop() };
  },
};
