/**
 * Delay before reconnection attempt number `attempt` (0 = first try after a loss): none at first,
 * then min × 2^(attempt−1) capped at max, with equal jitter (half fixed, half uniformly random) so
 * that peers which lost each other at the same moment do not redial in lockstep. Always ≤ max.
 */
export function backoffDelayMs(attempt: number, o: { backoffMsMin: number; backoffMsMax: number }, random: () => number): number {
  if (attempt <= 0) return 0;
  const exp = Math.min(o.backoffMsMax, o.backoffMsMin * 2 ** Math.min(attempt - 1, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(exp / 2 + (exp / 2) * r);
}
