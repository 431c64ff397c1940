// The first block the other three validators commit after one is SIGKILLed: the first block above
// the killed validator's own last committed height (the height it restarts at) that node 0's poller
// sees after the kill.
import { round } from '../lib/stats.js';
import type { SeenBlock } from './rates.js';

export interface FirstBlockAfterKill {
  /** SIGKILL → that block seen committed by node 0 (s; null: none before the restart) */
  seconds: number | null;
  height: number | null;
  /** its commit round (> 0: the rounds of a missing proposer were timed out first) */
  round: number | null;
  precommits: number | null;
  /** whether its commit still holds a precommit the killed validator sent before it died */
  holds_killed_validators_precommit: boolean | null;
  /** the killed validator's last committed height (-1: unknown, then the first block without its precommit counts) */
  killed_validator_height: number;
  how: string;
}

export function firstBlockAfterKill(blocks: readonly SeenBlock[], tKill: number, tEnd: number, killed: { key: string; height: number }, pollMs: number): FirstBlockAfterKill {
  const after = blocks.filter((b) => b.seen > tKill && b.seen <= tEnd);
  const first = killed.height >= 0 ? after.find((b) => b.h > killed.height) : after.find((b) => !b.signers.includes(killed.key));
  return {
    seconds: first ? round((first.seen - tKill) / 1000, 3) : null,
    height: first?.h ?? null,
    round: first?.round ?? null,
    precommits: first?.signers.length ?? null,
    holds_killed_validators_precommit: first ? first.signers.includes(killed.key) : null,
    killed_validator_height: killed.height,
    how: `time from the SIGKILL to node 0's poller (every ${pollMs} ms) seeing the first block above the killed validator's last committed height`,
  };
}
