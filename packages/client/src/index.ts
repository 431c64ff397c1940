export * from './wallet.js';
export * from './api.js';
export * from './records/crypto.js';
export * from './records/client.js';
export * from './records/grant-tx.js';
export * from './records/types.js';
export * from './records/purposes.js';
export * from './contracts.js';
