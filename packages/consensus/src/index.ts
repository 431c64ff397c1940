export * from './engine.js';
export * from './solo.js';
export * from './tendermint/index.js';
export * from './sim/index.js';
