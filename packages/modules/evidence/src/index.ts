// What the node may use of evidence: the module object and its state keys.
export { evidenceModule } from './module.js';
export * from './state.js';
