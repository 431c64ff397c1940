export { ContractHarness, createContractHarness, type CallOptions, type CallOutcome, type HarnessContract, type HarnessOptions } from './harness.js';
export type { HarnessEvent } from './overlay.js';
