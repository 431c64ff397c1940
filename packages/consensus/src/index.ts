export * from './engine.js';
export * from './solo.js';
