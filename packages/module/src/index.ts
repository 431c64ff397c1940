export * from './module.js';
export * from './kv.js';
export * from './result.js';
export * from './application.js';
export * from './genesis.js';
export * from './harness.js';
