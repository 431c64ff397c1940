// What other modules and the node may use of governance: the module object and the validator-set readers.
export { governanceModule, type Action, type Proposal } from './module.js';
export * from './state.js';
