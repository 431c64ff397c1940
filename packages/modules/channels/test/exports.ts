// what the tests read of the module's state
export * from '../src/index.js';
export { sentPacket, writtenAck as writtenAckOf } from '../src/channel/handlers.js';
