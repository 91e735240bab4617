import { describe, expect, it } from 'vitest'
import { EVENT_ID_PATTERN } from '../../protocol/ids.js'
import { ratingMessage } from '../../protocol/messages.js'
import { isDissatisfied } from '../../protocol/scales.js'
import {
  buildRating,
  eventIdFactory,
  levelWeights,
  nextPressDelays,
  pickLevel,
  poissonGapMs,
} from '../../devices/simulator/behaviour.js'
import { seededRandom } from '../../common/random.js'

describe('simulated citizen behaviour', () => {
  it('draws Poisson gaps with the requested mean rate', () => {
    const random = seededRandom(1)
    const n = 20_000
    let total = 0
    for (let i = 0; i < n; i++) total += poissonGapMs(6, random)
    // Mean of an exponential with rate 6/min is 10 s; 20k samples put it within ~2 %.
    expect(total / n).toBeGreaterThan(9_700)
    expect(total / n).toBeLessThan(10_300)
  })

  it('skews levels towards satisfied on every scale', () => {
    for (const scale of [3, 4, 5] as const) {
      const w = levelWeights(scale)
      expect(w).toHaveLength(scale)
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10)
      for (let i = 1; i < w.length; i++) expect(w[i]).toBeLessThan(w[i - 1] ?? 0)
      const random = seededRandom(scale)
      const counts = new Array<number>(scale).fill(0)
      for (let i = 0; i < 10_000; i++) {
        const level = pickLevel(scale, random)
        counts[level - 1] = (counts[level - 1] ?? 0) + 1
      }
      expect((counts[0] ?? 0) / 10_000).toBeCloseTo(w[0] ?? 0, 1)
      expect(counts[scale - 1]).toBeGreaterThan(0)
    }
  })

  it('groups rapid presses into bursts of 3–6 within one second', () => {
    const random = seededRandom(7)
    for (let i = 0; i < 200; i++) {
      const [first, ...burst] = nextPressDelays('rapid', 2, random)
      expect(first).toBeGreaterThan(0)
      expect(burst.length + 1).toBeGreaterThanOrEqual(3)
      expect(burst.length + 1).toBeLessThanOrEqual(6)
      expect(burst.reduce((a, b) => a + b, 0)).toBeLessThan(1000)
    }
  })

  it('repeats a stuck button about every 100 ms whatever the rate', () => {
    const random = seededRandom(3)
    for (let i = 0; i < 100; i++) {
      const delays = nextPressDelays('stuck', 0.01, random)
      expect(delays).toHaveLength(1)
      expect(delays[0]).toBeGreaterThanOrEqual(90)
      expect(delays[0]).toBeLessThanOrEqual(110)
    }
  })

  it('makes valid, unique event ids even for the longest device id', () => {
    const longest = 'a'.repeat(32)
    const next = eventIdFactory(longest)
    const ids = new Set<string>()
    for (let i = 0; i < 50_000; i++) ids.add(next())
    expect(ids.size).toBe(50_000)
    for (const id of [...ids].slice(-10)) expect(id).toMatch(EVENT_ID_PATTERN)
    expect(eventIdFactory('a')()).toMatch(EVENT_ID_PATTERN)
    // Two starts of the same device never share ids (a restarted simulator is a rebooted box).
    expect(eventIdFactory('k1')()).not.toBe(eventIdFactory('k1')())
  })

  it('builds schema-valid ratings with reasons only after a dissatisfied press', () => {
    const random = seededRandom(11)
    const next = eventIdFactory('k1')
    let withReasons = 0
    for (let i = 0; i < 2000; i++) {
      const m = buildRating({ scale: 4, reasons: ['wait', 'attitude'], ts: Date.now(), nextId: next, random })
      expect(ratingMessage.safeParse(m).success).toBe(true)
      if (m.reasons) {
        withReasons++
        expect(isDissatisfied(4, m.level)).toBe(true)
        expect(m.reasons.every((r) => r === 'wait' || r === 'attitude')).toBe(true)
        expect(new Set(m.reasons).size).toBe(m.reasons.length)
      }
    }
    expect(withReasons).toBeGreaterThan(0)
    const stuck = buildRating({ scale: 5, reasons: ['wait'], ts: 0, nextId: next, random, stuckLevel: 5 })
    expect(stuck.level).toBe(5)
    expect(stuck.reasons).toBeUndefined()
  })
})
