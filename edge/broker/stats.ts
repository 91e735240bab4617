/** What the broker has seen since start, kept as plain data for /metrics, /healthz and edge_health. */
export interface StoreFailure {
  code: string
  message: string
  at: number
}

export interface BrokerStats {
  received: Record<string, number>
  stored: Record<string, number>
  duplicates: number
  rejected: Record<string, number>
  rejectedTotal: number
  authFailures: Record<string, number>
  subscribeRefused: number
  oversizedPackets: number
  storeFailures: Record<string, number>
  lastStoreFailure: StoreFailure | null
  /** Connections closed because the same device connected again. */
  sessionsReplaced: number
  /** Publishes held back by the per-device rate limit (refused ones are in `rejected.EDGE_RATE_LIMITED`). */
  rateHeld: number
}

export function emptyStats(): BrokerStats {
  return {
    received: {},
    stored: {},
    duplicates: 0,
    rejected: {},
    rejectedTotal: 0,
    authFailures: {},
    subscribeRefused: 0,
    oversizedPackets: 0,
    storeFailures: {},
    lastStoreFailure: null,
    sessionsReplaced: 0,
    rateHeld: 0,
  }
}

export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}
