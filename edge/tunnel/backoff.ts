/**
 * Reconnect delays for the tunnel (pure): doubling from min to max, with up
 * to 20 % jitter downwards so hundreds of edges cut off by one hub restart
 * do not all come back in the same second.
 */
export function nextDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30))
  return Math.round(base * (1 - 0.2 * random()))
}
