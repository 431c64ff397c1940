// What other modules and the node may use of identity: the module object and its state readers.
export { identityModule, createOrg } from './module.js';
export * from './state.js';
export * from './payloads.js';
export { IDENTITY_ERRORS } from './errors.js';
