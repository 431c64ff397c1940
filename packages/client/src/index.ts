export * from './wallet.js';
export * from './api.js';
