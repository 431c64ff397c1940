// The channels module: what the node registers, and what tools, tests and the simulation use of it.
export { channelsModule, PORTS } from './module/module.js';
export { CHANNEL_ERRORS } from './errors.js';
export * from './channel/packet.js';
export * from './channel/state.js';
export { parseClientUpdate, updateClient, parseStateProof, verifyCounterpartyState, type ClientUpdate, type StateProof } from './channel/lightclient.js';
export { sendPacket, recvPacket, acknowledgePacket, timeoutPacket, parseRecv, parseAckMsg, type ChannelContext, type CounterpartyVerifier, type PortApp, type Ports, type RecvMsg, type AckMsg } from './channel/handlers.js';
export { channelsGenesisFor, parseChannelsGenesis, type ChannelsGenesis } from './channel/genesis.js';
export { CUSTODY_PORT, custodyApp, getItem, itemKey, registerItem, sendItem, type ItemRecord, type ItemStatus } from './custody/app.js';
export { ChainApi, proofPayload, updatePayload, type ChannelsView } from './relayer/chain-api.js';
export { Relayer, type RelayRound } from './relayer/relayer.js';
export { SYSTEM_CLOCK } from './module/cli.js';
export { runMultiChain } from './sim/multichain.js';
export { DEFAULT_MULTICHAIN, type MultiChainOptions, type MultiChainResult } from './sim/options.js';
export { DEFAULT_COSTS, type CostModel } from './sim/cost.js';
