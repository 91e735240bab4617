/** Pure retry and response policy of the forwarder: what to do with each hub answer, and how long to wait. */

/**
 * Capped exponential backoff with full jitter ("Exponential Backoff And
 * Jitter", AWS architecture blog): a random delay between `minMs` and
 * min(maxMs, minMs·2^attempt), so hundreds of edges coming back after a hub
 * outage do not all retry in the same second.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30))
  return Math.round(minMs + random() * (cap - minMs))
}

/** Longest Retry-After we honour: a hub asking for more is misconfigured, not overloaded. */
export const MAX_RETRY_AFTER_MS = 3_600_000

/** Retry-After in delta-seconds (what the hub sends) or an HTTP date, as ms from `now`; null if absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | null {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return null
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : null
}

/**
 * How long to wait when the hub asked for `askedMs`: never less, and up to
 * half as much again at random, so the edges one overloaded hub turned away
 * together do not all come back in the same instant.
 */
export function retryAfterDelay(askedMs: number, random: () => number): number {
  return Math.round(askedMs * (1 + random() / 2))
}

export type Verdict =
  /** 200: delete accepted records, dead-letter the rejected ones. */
  | { action: 'ack' }
  /** 400: something in the batch is bad; split it down to the bad record. */
  | { action: 'split' }
  /** 413: the body is too large; halve the batch size. */
  | { action: 'shrink' }
  /** 401/403: the token is wrong; nothing will work until an operator fixes it. */
  | { action: 'auth' }
  /** 503, other 5xx, anything unexpected: keep everything and wait. */
  | { action: 'retry' }

export function verdict(status: number): Verdict {
  if (status === 200) return { action: 'ack' }
  if (status === 400) return { action: 'split' }
  if (status === 413) return { action: 'shrink' }
  if (status === 401 || status === 403) return { action: 'auth' }
  return { action: 'retry' }
}

/** The error code in a hub error body `{ error: { code } }`, if any. */
export function hubErrorCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code
  return typeof code === 'string' ? code : null
}

/** A 200 body as the contract describes it, or null if it is not one. */
export function parseAck(body: unknown): { accepted: number; rejected: { index: number; code: string; message: string }[]; serverTime: number | null } | null {
  if (typeof body !== 'object' || body === null) return null
  const b = body as Record<string, unknown>
  if (!Array.isArray(b.rejected)) return null
  const rejected = b.rejected.filter(
    (r): r is { index: number; code: string; message: string } =>
      typeof r === 'object' && r !== null && Number.isInteger((r as { index?: unknown }).index),
  )
  return {
    accepted: typeof b.accepted === 'number' ? b.accepted : 0,
    rejected: rejected.map((r) => ({ index: r.index, code: String(r.code ?? 'HUB_RECORD_INVALID'), message: String(r.message ?? '') })),
    serverTime: typeof b.serverTime === 'number' && Number.isFinite(b.serverTime) ? b.serverTime : null,
  }
}
