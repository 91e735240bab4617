/**
 * Per-device message rate (issue 11, finding 8): one device's secret could
 * fill the edge's disk, since every message it sends becomes a record. A
 * token bucket per device lets through what people and an offline kiosk's
 * replay send, holds back (slows) a device above it, and refuses only what
 * a device sends while it already has a full queue held back. Pure: the
 * broker owns the timers.
 */

export interface RateSettings {
  /** Sustained messages per second a device may send: nobody rates twice a second for long. */
  perSecond: number
  /** Messages a device may send at once (a kiosk replaying what it kept offline). */
  burst: number
  /** Messages of one device held back at a time; past it they are refused. */
  maxHeld: number
}

/**
 * An honest rating takes a person seconds; a child hammering a button manages
 * about 5 a second, which is kept (and flagged `rapid`/`stuck`). More than
 * that for long is a machine. The burst covers a kiosk's offline replay.
 */
export const DEFAULT_RATE: RateSettings = { perSecond: 5, burst: 100, maxHeld: 50 }

export type Admission =
  /** Go on now. */
  | { action: 'pass' }
  /** Go on after `waitMs` (its token is reserved); call `release` when it went on. */
  | { action: 'hold'; waitMs: number }
  /** Too many held already: refuse it, unacknowledged. */
  | { action: 'refuse' }

const PASS: Admission = { action: 'pass' }
const REFUSE: Admission = { action: 'refuse' }

interface Bucket {
  tokens: number
  at: number
  held: number
}

export class DeviceRateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly settings: RateSettings = DEFAULT_RATE) {}

  /** `device` comes from the edge config (authenticated devices), so the map holds at most one entry per configured device. */
  admit(device: string, now: number): Admission {
    const s = this.settings
    let b = this.buckets.get(device)
    if (!b) this.buckets.set(device, (b = { tokens: s.burst, at: now, held: 0 }))
    b.tokens = Math.min(s.burst, b.tokens + ((now - b.at) / 1000) * s.perSecond)
    b.at = now
    if (b.tokens >= 1) {
      b.tokens -= 1
      return PASS
    }
    if (b.held >= s.maxHeld) return REFUSE
    // Tokens go negative: each held message waits for its own token.
    b.tokens -= 1
    b.held++
    return { action: 'hold', waitMs: Math.ceil((-b.tokens / s.perSecond) * 1000) }
  }

  release(device: string): void {
    const b = this.buckets.get(device)
    if (b && b.held > 0) b.held--
  }

  held(device: string): number {
    return this.buckets.get(device)?.held ?? 0
  }
}
