import { describe, expect, it } from 'vitest'
import { ratedDossiers, satisfaction766 } from '../../../hub/kpi/decision766.js'
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

  it('one dossier per ticket, site and day, judged by its latest press; misuse left out', () => {
    const counted = ratedDossiers([
      rating('2026-11-21T09:00', 4, { ticket: 'A001' }), // changed their mind…
      rating('2026-11-21T09:00:05', 2, { ticket: 'A001' }), // …this one counts
      rating('2026-11-22T09:00', 4, { ticket: 'A001' }), // next day: another dossier
      rating('2026-11-21T09:00', 4, { ticket: 'A001', site: 'ct-ninh-kieu' }), // another site
      rating('2026-11-21T10:00', 3), // no ticket: one dossier each
      rating('2026-11-21T10:01', 4),
      rating('2026-11-21T10:02', 4, { misuse: 'rapid' }),
    ])
    expect(counted).toEqual({ rated: 5, dissatisfied: 3 })
  })
})
