export * from './node.js';
export * from './config/options.js';
export * from '@salus/module';
export * from './config/home.js';
export * from './config/keyfile.js';
export * from './ledger/verify.js';
export * from './crypto/native-ed25519.js';
