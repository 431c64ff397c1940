// The flags of the million run, shared by the parent and its node child.
export const millionDefaults = {
  txs: 1_000_000,
  workload: 'register_patient',
  block: 10_000,
  admins: 16,
  sampleEvery: 100_000,
  targetDiskRatio: 2,
  targetRssMb: 300,
  keep: false,
  txFile: '',
  // stop (and report how far it got) when the node has not finished within this many minutes
  maxMinutes: 60,
  // diagnostic: the node's state-tree cache size (StateStoreOptions.nodeCacheMax); -1 = the node's default
  nodeCacheMax: -1,
  // internal: the child process
  child: false,
  dir: '',
};
export type MillionFlags = typeof millionDefaults;

export const MB = 1024 * 1024;
