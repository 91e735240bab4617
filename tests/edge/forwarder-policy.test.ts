import { describe, expect, it } from 'vitest'
import { MAX_RETRY_AFTER_MS, backoffDelay, parseAck, retryAfterDelay, retryAfterMs, verdict } from '../../edge/forwarder/policy.js'

describe('backoff', () => {
  it('grows exponentially and caps at the maximum', () => {
    const top = Array.from({ length: 12 }, (_, a) => backoffDelay(a, 500, 60_000, () => 1))
    expect(top).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000])
    expect(backoffDelay(1000, 500, 60_000, () => 1)).toBe(60_000)
  })

  it('jitters over the whole window, never below the minimum', () => {
    expect(backoffDelay(5, 500, 60_000, () => 0)).toBe(500)
    expect(backoffDelay(5, 500, 60_000, () => 0.5)).toBe(500 + 0.5 * (16_000 - 500))
    const samples = Array.from({ length: 200 }, () => backoffDelay(8, 500, 60_000, Math.random))
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(500)
    expect(Math.max(...samples)).toBeLessThanOrEqual(60_000)
  })
})

describe('Retry-After', () => {
  const now = Date.UTC(2026, 0, 1)
  it('reads delta-seconds and HTTP dates, capped', () => {
    expect(retryAfterMs('5', now)).toBe(5000)
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000)
    expect(retryAfterMs('999999', now)).toBe(MAX_RETRY_AFTER_MS)
    expect(retryAfterMs(undefined, now)).toBeNull()
    expect(retryAfterMs('soon', now)).toBeNull()
  })

  it('waits at least what the hub asked, spread over half as much again', () => {
    expect(retryAfterDelay(2000, () => 0)).toBe(2000)
    expect(retryAfterDelay(2000, () => 1)).toBe(3000)
    // 600 edges turned away at once come back spread over the whole window, not in one instant.
    const back = Array.from({ length: 600 }, () => retryAfterDelay(2000, Math.random))
    expect(Math.min(...back)).toBeGreaterThanOrEqual(2000)
    expect(Math.max(...back)).toBeLessThanOrEqual(3000)
    const perTenth = Array.from({ length: 10 }, (_, k) => back.filter((ms) => ms >= 2000 + k * 100 && ms < 2100 + k * 100).length)
    expect(Math.max(...perTenth)).toBeLessThan(600 / 4)
  })
})

describe('answers', () => {
  it('maps statuses to actions', () => {
    expect([200, 400, 413, 401, 403, 503, 500, 404].map((s) => verdict(s).action)).toEqual([
      'ack', 'split', 'shrink', 'auth', 'auth', 'retry', 'retry', 'retry',
    ])
  })

  it('reads an ack and refuses anything else', () => {
    expect(parseAck({ accepted: 2, rejected: [{ index: 1, code: 'HUB_RECORD_INVALID', message: 'm' }], serverTime: 5 })).toEqual({
      accepted: 2, rejected: [{ index: 1, code: 'HUB_RECORD_INVALID', message: 'm' }], serverTime: 5,
    })
    expect(parseAck({ accepted: 2 })).toBeNull()
    expect(parseAck('ok')).toBeNull()
  })
})
