/**
 * The demo's pressing rhythm through the real misuse filter, pure: presses
 * are generated the way each simulated box schedules them (no timers), then
 * judged in time order as the edge would. What a director sees flagged in
 * the demo is what the filter would flag in a real hall.
 */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../common/random.js'
import { HALL, nextPressDelays, pickLevel, type SimMode } from '../../devices/simulator/behaviour.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { MisuseFilter } from '../../edge/misuse/filter.js'
import type { NewRecord } from '../../edge/outbox/types.js'
import { DEMO_PRESSING } from '../../scripts/lib/demo-site.js'

type Rating = Extract<NewRecord, { kind: 'rating' }>
const T0 = Date.UTC(2026, 10, 23, 0, 30) // 07:30 in Cần Thơ, opening time
const COUNTERS = 12

/** Every press of `counters` boxes over `durationMs`, as CounterBox schedules them, in time order. */
function presses(mode: SimMode, ratePerMinute: number, durationMs: number, seed = 1): Rating[] {
  const out: Rating[] = []
  for (let c = 1; c <= COUNTERS; c++) {
    const random = seededRandom(seed * 100 + c)
    const counter = `q${String(c).padStart(2, '0')}`
    for (let t = 0; t < durationMs; ) {
      for (const delay of nextPressDelays(mode, ratePerMinute, random, t)) {
        t += delay
        if (t >= durationMs) break
        const level = pickLevel(4, random)
        out.push({
          kind: 'rating', department: 'tu-phap', counter, device: `button-${counter}`, officer: null, eventId: `${counter}-${out.length}`,
          scale: 4, level, score: [100, 66.7, 33.3, 0][level - 1]!, dissatisfied: level === 4, reasons: [], ticket: null,
          deviceTs: T0 + t, edgeTs: T0 + t, misuse: null,
        })
      }
    }
  }
  return out.sort((a, b) => a.edgeTs - b.edgeTs)
}

/** The edge's filter with the settings the demo's edge runs with (the defaults). */
function judged(list: Rating[]): Rating[] {
  const filter = new MisuseFilter(edgeConfigSchema.shape.misuse.parse(undefined))
  return list.map((r) => filter.judge(r, r.eventId).record)
}
const share = (list: Rating[]) => list.filter((r) => r.misuse !== null).length / list.length

describe('the demo pressing rhythm', () => {
  const day = presses(DEMO_PRESSING.mode, DEMO_PRESSING.ratePerMinute, HALL.dayMs)
  const verdicts = judged(day)

  it('gets a few percent of its presses flagged, all of them a citizen pressing twice', () => {
    const flagged = verdicts.filter((r) => r.misuse !== null)
    expect(share(verdicts)).toBeGreaterThan(0.005)
    expect(share(verdicts)).toBeLessThan(0.04)
    expect(new Set(flagged.map((r) => r.misuse))).toEqual(new Set(['rapid']))
    // Each flagged press follows its counter's previous press within a second or so.
    for (const r of flagged) {
      const before = day.filter((p) => p.counter === r.counter && p.edgeTs < r.edgeTs).at(-1)!
      expect(r.edgeTs - before.edgeTs).toBeLessThan(HALL.doubleGapMs + 900)
    }
  })

  it('was a third flagged with the Poisson rhythm it replaces (6 a minute per counter)', () => {
    expect(share(judged(presses('normal', 6, HALL.dayMs)))).toBeGreaterThan(0.3)
  })

  it('serves one citizen at a time, about the asked rate over a day, with busy and quiet hours', () => {
    const honest = verdicts.filter((r) => r.misuse === null)
    // Distinct citizens at one counter are a service apart.
    for (let c = 1; c <= COUNTERS; c++) {
      const at = honest.filter((r) => r.counter === `q${String(c).padStart(2, '0')}`).map((r) => r.deviceTs)
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(HALL.minGapMs)
    }
    const perMinute = honest.length / COUNTERS / (HALL.dayMs / 60_000)
    expect(perMinute).toBeGreaterThan(DEMO_PRESSING.ratePerMinute * 0.8)
    expect(perMinute).toBeLessThan(DEMO_PRESSING.ratePerMinute * 1.1)
    const hourMs = HALL.dayMs / HALL.hours.length
    const byHour = HALL.hours.map((_, h) => honest.filter((r) => Math.floor((r.deviceTs - T0) / hourMs) === h).length)
    expect(Math.max(...byHour)).toBeGreaterThan(2 * Math.min(...byHour))
    expect(byHour.indexOf(Math.max(...byHour))).toBeLessThan(3)
  })

  it('stays a few percent flagged whatever the seed', () => {
    for (const seed of [2, 3, 4]) expect(share(judged(presses(DEMO_PRESSING.mode, DEMO_PRESSING.ratePerMinute, HALL.dayMs, seed)))).toBeLessThan(0.04)
  })
})
