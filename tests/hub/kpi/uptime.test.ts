import { describe, expect, it } from 'vitest'
import { uptime } from '../../../hub/kpi/uptime.js'
import { MIN, vn } from './fixtures.js'

const day = { start: vn('2026-11-21T00:00'), end: vn('2026-11-22T00:00') }
const at = (local: string, up: boolean) => ({ t: vn(local), up })

describe('uptime over a period', () => {
  it('the state before the period carries in; outages inside are counted', () => {
    const u = uptime(
      [at('2026-11-21T10:00', false), at('2026-11-20T08:00', true), at('2026-11-21T10:30', true), at('2026-11-21T18:00', false)],
      day.start,
      day.end,
    )
    // Down 10:00–10:30 and 18:00–24:00: 6.5 h of 24.
    expect(u).toEqual({ knownMs: 24 * 60 * MIN, upMs: 17.5 * 60 * MIN, share: 17.5 / 24, outages: 2 })
  })

  it('time before the first known state is unknown, not down', () => {
    const u = uptime([at('2026-11-21T12:00', true), at('2026-11-21T18:00', false)], day.start, day.end)
    expect(u).toEqual({ knownMs: 12 * 60 * MIN, upMs: 6 * 60 * MIN, share: 0.5, outages: 1 })
  })

  it('nothing known: share is null; changes after the period are ignored', () => {
    expect(uptime([], day.start, day.end)).toEqual({ knownMs: 0, upMs: 0, share: null, outages: 0 })
    expect(uptime([at('2026-11-22T00:00', false)], day.start, day.end).share).toBeNull()
  })

  it('a repeated "online" is not an outage, and a change exactly at the start sets the state', () => {
    const u = uptime([at('2026-11-21T00:00', false), at('2026-11-21T06:00', true), at('2026-11-21T07:00', true)], day.start, day.end)
    expect(u).toEqual({ knownMs: 24 * 60 * MIN, upMs: 18 * 60 * MIN, share: 0.75, outages: 0 })
  })

  it('refuses a period that ends before it starts', () => {
    expect(() => uptime([], day.end, day.start)).toThrow(RangeError)
  })
})
