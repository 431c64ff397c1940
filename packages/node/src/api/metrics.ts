import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one node, on a registry of its own (no global singleton). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'salus_process_' });
  return {
    registry,
    height: new Gauge({ name: 'salus_consensus_height', help: 'Height of the last committed block', registers: [registry] }),
    round: new Gauge({ name: 'salus_consensus_round', help: 'Current consensus round', registers: [registry] }),
    step: new Gauge({ name: 'salus_consensus_step', help: 'Consensus step: 0 idle, 1 propose, 2 prevote, 3 precommit, 4 commit', registers: [registry] }),
    votesReceived: new Counter({ name: 'salus_consensus_votes_received_total', help: 'Votes received from peers and stepped', registers: [registry] }),
    peers: new Gauge({ name: 'salus_p2p_peers', help: 'Connected peers', registers: [registry] }),
    consensusRejected: new Counter({ name: 'salus_consensus_inputs_rejected_total', help: 'Consensus messages dropped, by reason', labelNames: ['reason'], registers: [registry] }),
    evidence: new Counter({ name: 'salus_consensus_evidence_total', help: 'Double-signing evidence found', registers: [registry] }),
    lastCommitTime: new Gauge({ name: 'salus_consensus_last_commit_timestamp_seconds', help: 'Time of the last commit', registers: [registry] }),
    txsCommitted: new Counter({ name: 'salus_txs_committed_total', help: 'Transactions committed', registers: [registry] }),
    txsFailed: new Counter({ name: 'salus_txs_failed_total', help: 'Committed transactions whose execution failed', labelNames: ['code'], registers: [registry] }),
    txsRejected: new Counter({ name: 'salus_txs_rejected_total', help: 'Transactions refused at admission', labelNames: ['code'], registers: [registry] }),
    mempoolSize: new Gauge({ name: 'salus_mempool_size', help: 'Transactions waiting in the mempool', registers: [registry] }),
    mempoolBytes: new Gauge({ name: 'salus_mempool_bytes', help: 'Bytes waiting in the mempool', registers: [registry] }),
    blockCommitSeconds: new Histogram({
      name: 'salus_block_commit_seconds',
      help: 'Time to execute and persist a block',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    recordReads: new Counter({ name: 'salus_records_reads_total', help: 'Record versions served, by the right that allowed them', labelNames: ['basis'], registers: [registry] }),
    recordRefusals: new Counter({ name: 'salus_records_refused_total', help: 'Record reads refused, by error code', labelNames: ['code'], registers: [registry] }),
    disclosuresPending: new Gauge({ name: 'salus_records_disclosures_pending', help: 'Served reads whose disclosure is not yet committed', registers: [registry] }),
    blobs: new Gauge({ name: 'salus_blobs_stored', help: 'Blobs in this node\'s store', registers: [registry] }),
    blobBytes: new Gauge({ name: 'salus_blobs_bytes', help: 'Bytes of blobs in this node\'s store', registers: [registry] }),
    blobBacklog: new Gauge({ name: 'salus_blobs_replication_backlog', help: 'Committed blobs this node should hold and has not fetched yet', registers: [registry] }),
    blockTxs: new Histogram({ name: 'salus_block_txs', help: 'Transactions per block', buckets: [0, 1, 10, 100, 1000, 5000, 10000], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
