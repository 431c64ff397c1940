// The anchors module: what the node registers, and what tools and tests use of it. The item,
// receipt, tree and proof formats are the SDK's (@salus/client), defined once for both sides.
export { anchorsModule } from './module/module.js';
export { ANCHOR_ERRORS } from './errors.js';
export { DEFAULT_PARAMS, PARAM_LIMITS, getParams, parseParams, type AnchorParams } from './params.js';
export { ANCHOR_ROLES } from './module/handlers.js';
export { answeredKey, batchStateKey, challengeKey, misbehaviourKey, misbehaviourPrefix, getBatch, type BatchRecord, type ChallengeRecord, type MisbehaviourRecord, type Reason } from './module/state.js';
export { Anchorer, type Accepted } from './service/anchorer.js';
export { AnchorStore, type StoredBatch, type BatchState } from './service/store.js';
export { DEFAULT_SERVICE_OPTIONS, type AnchorServiceOptions } from './service/options.js';
export { anchorServiceRoutes } from './service/routes.js';
