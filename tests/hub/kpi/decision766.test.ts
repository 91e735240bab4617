import { describe, expect, it } from 'vitest'
import { satisfaction766 } from '../../../hub/kpi/decision766.js'
import { ratingKpis } from '../../../hub/kpi/ratings.js'
import { rating } from './fixtures.js'

describe('Decision 766/QĐ-TTg satisfaction component', () => {
  it('full 6 points at exactly 90 % and above', () => {
    expect(satisfaction766(10, 1)).toEqual({ rated: 10, notDissatisfied: 9, rate: 0.9, points: 6 })
    // Exactly 90 % at other sizes too.
    expect(satisfaction766(30, 3).points).toBe(6)
    expect(satisfaction766(70, 7).points).toBe(6)
    expect(satisfaction766(200, 0)).toEqual({ rated: 200, notDissatisfied: 200, rate: 1, points: 6 })
  })

  it('below 90 %: rate × 6 / 90 %', () => {
    // 89/100 → 0.89 × 6 / 0.9 = 5.9333…
    expect(satisfaction766(100, 11).points).toBeCloseTo(5.933333, 5)
    // 1/2 → 0.5 × 6 / 0.9 = 3.3333…
    expect(satisfaction766(2, 1).points).toBeCloseTo(10 / 3, 10)
    expect(satisfaction766(4, 4)).toEqual({ rated: 4, notDissatisfied: 0, rate: 0, points: 0 })
  })

  it('nothing rated: no rate and no points, rather than 0', () => {
    expect(satisfaction766(0, 0)).toEqual({ rated: 0, notDissatisfied: 0, rate: null, points: null })
  })

  it('refuses impossible counts', () => {
    expect(() => satisfaction766(3, 4)).toThrow(RangeError)
    expect(() => satisfaction766(-1, 0)).toThrow(RangeError)
    expect(() => satisfaction766(2.5, 0)).toThrow(RangeError)
  })

  it('from ratings: every press without a misuse flag is one rated dossier', () => {
    const k = ratingKpis([
      rating('2026-11-21T09:00', 4, { ticket: 'A001' }),
      rating('2026-11-21T09:10', 2, { ticket: 'A002' }),
      rating('2026-11-21T10:00', 3),
      rating('2026-11-21T10:01', 3, { scale: 5 }),
      rating('2026-11-21T10:01', 5, { scale: 5 }),
      rating('2026-11-21T10:02', 4, { misuse: 'rapid' }),
      rating('2026-11-21T10:03', 4, { misuse: 'excess' }),
    ])
    // 5 dossiers, dissatisfied: 4/4 and 5/5 → 3 of 5 = 60 % → 0.6 × 6 / 0.9 = 4 points.
    expect(k.decision766).toEqual({ rated: 5, notDissatisfied: 3, rate: 0.6, points: 4 })
    // Including misuse in the index does not change what the province is judged on.
    expect(ratingKpis([rating('2026-11-21T10:02', 4, { misuse: 'rapid' })], { includeMisuse: true }).decision766.rated).toBe(0)
  })
})
