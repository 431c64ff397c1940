/** What a simulated node counts (summed over nodes into a run's totals). */
export interface NodeStats {
  inputs: number;
  rejected: number;
  /** evidence effects (both kinds), and those of a proposer's two proposals */
  evidence: number;
  proposalEvidence: number;
  signRefused: number;
  malformed: number;
  synced: number;
  restarts: number;
  crashes: number;
  crashesAfterWal: number;
  crashesSignedUnsent: number;
  /** block parts that failed their proof, part requests sent, parts sent in answer */
  badParts: number;
  partRequests: number;
  partsServed: number;
}

export function nodeStats(): NodeStats {
  return { inputs: 0, rejected: 0, evidence: 0, proposalEvidence: 0, signRefused: 0, malformed: 0, synced: 0, restarts: 0, crashes: 0, crashesAfterWal: 0, crashesSignedUnsent: 0, badParts: 0, partRequests: 0, partsServed: 0 };
}
