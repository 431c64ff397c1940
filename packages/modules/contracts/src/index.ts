export * from './errors.js';
export * from './limits.js';
export * from './values.js';
export type { CallContext, ContractHost, NestedBudget } from './runtime/host.js';
export { createContractRuntime, type BlockScopedRuntime, type ContractRuntime, type ContractRuntimeOptions, type InvokeRequest, type InvokeResult } from './runtime/runtime.js';
export { contractCodeHash } from './runtime/code.js';
export { checkContractCode } from './bundle/check.js';
export { bundleContract, SDK_SPECIFIER, type BundleInput, type BundledContract } from './bundle/bundle.js';
export { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS } from './bundle/forbidden.js';

// The contracts module: what the node registers, and what other modules may use of it.
export { contractsModule } from './module/module.js';
export { CONTRACTS_MODULE_ERRORS } from './module/errors.js';
export { parseManifest, type Manifest, type MethodRule, type UpgradePolicy } from './module/manifest.js';
export { getInstance, getCode, dataPrefix, type InstanceRecord, type CodeRecord, type ProposalRecord } from './module/state.js';
export { CODE_BYTES_MAX, GAS_MAX } from './module/payloads.js';

// Private execution (ADR 0009): what clients, tools and tests use of it.
export { signResult, verifyEndorsement, resultBody, type PrivateResult, type PrivateOutputs, type Endorsement } from './private/result.js';
export { privateRootKey, misbehaviourPrefix, EMPTY_ROOT, getPrivateRoot, type PrivateRoot } from './private/state.js';
export { RESULT_AGE_MAX } from './private/handlers.js';
export { PRIVATE_ERRORS } from './private/errors.js';
export type { PrivatePolicy } from './module/manifest.js';
