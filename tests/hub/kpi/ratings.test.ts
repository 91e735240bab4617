import { describe, expect, it } from 'vitest'
import { aggregateRatings, ratingKpis, ratingKpisFromTallies } from '../../../hub/kpi/ratings.js'
import { rating, ticket, vn } from './fixtures.js'

describe('rating KPIs of one group', () => {
  it('no ratings: index and shares are null, never 0 or NaN', () => {
    const k = ratingKpis([])
    expect(k).toMatchObject({
      presses: 0,
      counted: 0,
      misuse: 0,
      levels: [],
      satisfactionIndex: null,
      dissatisfiedShare: null,
      ratingsPerTicket: null,
    })
    expect(k.decision766).toEqual({ rated: 0, notDissatisfied: 0, rate: null, points: null })
  })

  it('all misuse: presses are reported, nothing is scored unless asked', () => {
    const presses = [
      rating('2026-11-21T09:00', 4, { misuse: 'rapid' }),
      rating('2026-11-21T09:00:01', 4, { misuse: 'rapid' }),
      rating('2026-11-21T09:05', 1, { misuse: 'stuck' }),
    ]
    const k = ratingKpis(presses)
    expect(k).toMatchObject({ presses: 3, counted: 0, misuse: 3, levels: [], satisfactionIndex: null, dissatisfiedShare: null })
    expect(k.misuseByKind).toEqual({ rapid: 2, stuck: 1, excess: 0 })
    expect(k.decision766.rate).toBeNull()
    // Included on request: (0 + 0 + 100) / 3.
    const withMisuse = ratingKpis(presses, { includeMisuse: true })
    expect(withMisuse.counted).toBe(3)
    expect(withMisuse.satisfactionIndex).toBeCloseTo(100 / 3, 10)
    expect(withMisuse.dissatisfiedShare).toBeCloseTo(2 / 3, 10)
    expect(withMisuse.decision766.rated).toBe(0)
  })

  it('a counter with one rating', () => {
    const k = ratingKpis([rating('2026-11-21T09:00', 2)])
    expect(k.counted).toBe(1)
    expect(k.satisfactionIndex).toBe(66.7)
    expect(k.dissatisfiedShare).toBe(0)
    expect(k.levels.map((l) => [l.scale, l.level, l.count, l.share])).toEqual([
      [4, 1, 0, 0],
      [4, 2, 1, 1],
      [4, 3, 0, 0],
      [4, 4, 0, 0],
    ])
    expect(k.levels[1]).toMatchObject({ vi: 'Hài lòng', en: 'Satisfied' })
    expect(k.decision766).toEqual({ rated: 1, notDissatisfied: 1, rate: 1, points: 6 })
  })

  it('3-, 4- and 5-level scales mixed: the normalised score makes them one index', () => {
    const k = ratingKpis([
      rating('2026-11-21T09:00', 1, { scale: 3 }), // 100
      rating('2026-11-21T09:01', 2, { scale: 3 }), // 50
      rating('2026-11-21T09:02', 3, { scale: 3 }), // 0, dissatisfied
      rating('2026-11-21T09:03', 2, { scale: 4 }), // 66.7
      rating('2026-11-21T09:04', 4, { scale: 4 }), // 0, dissatisfied
      rating('2026-11-21T09:05', 2, { scale: 5 }), // 75
      rating('2026-11-21T09:06', 4, { scale: 5 }), // 25, dissatisfied
      rating('2026-11-21T09:07', 5, { scale: 5, misuse: 'excess' }), // left out
    ])
    // (100 + 50 + 0 + 66.7 + 0 + 75 + 25) / 7 = 316.7 / 7
    expect(k.counted).toBe(7)
    expect(k.satisfactionIndex).toBeCloseTo(45.242857, 5)
    expect(k.dissatisfied).toBe(3)
    expect(k.dissatisfiedShare).toBeCloseTo(3 / 7, 10)
    expect(k.levels.map((l) => `${l.scale}.${l.level}:${l.count}`)).toEqual([
      '3.1:1', '3.2:1', '3.3:1',
      '4.1:0', '4.2:1', '4.3:0', '4.4:1',
      '5.1:0', '5.2:1', '5.3:0', '5.4:1', '5.5:0',
    ])
    expect(k.levels.reduce((s, l) => s + l.share, 0)).toBeCloseTo(1, 10)
    expect(k.misuse).toBe(1)
    // 4 of 7 dossiers not dissatisfied = 57.14 % → 0.5714 × 6 / 0.9 = 3.8095 points.
    expect(k.decision766.rate).toBeCloseTo(4 / 7, 10)
    expect(k.decision766.points).toBeCloseTo(3.809524, 5)
  })
})

describe('rating KPIs from counted rows (a database GROUP BY)', () => {
  it('give the same figures as the ratings themselves', () => {
    const ratings = [
      rating('2026-11-21T09:00', 1, { scale: 3 }),
      rating('2026-11-21T09:01', 3, { scale: 3 }),
      rating('2026-11-21T09:02', 2),
      rating('2026-11-21T09:03', 2),
      rating('2026-11-21T09:04', 5, { scale: 5, misuse: 'stuck' }),
    ]
    const fromCounts = ratingKpisFromTallies([
      { scale: 3, level: 1, misuse: null, count: 1 },
      { scale: 3, level: 3, misuse: null, count: 1 },
      { scale: 4, level: 2, misuse: null, count: 2 },
      { scale: 5, level: 5, misuse: 'stuck', count: 1 },
    ])
    expect(fromCounts).toEqual(ratingKpis(ratings))
    // (100 + 0 + 66.7 + 66.7) / 4
    expect(fromCounts.satisfactionIndex).toBeCloseTo(58.35, 10)
    expect(ratingKpisFromTallies([], { ticketsServed: 3 })).toMatchObject({ counted: 0, satisfactionIndex: null, ratingsPerTicket: 0 })
  })
})

describe('aggregateRatings', () => {
  it('groups by counter within each site, since counter ids repeat across sites', () => {
    const groups = aggregateRatings(
      [
        rating('2026-11-21T09:00', 1, { site: 'ct-center' }),
        rating('2026-11-21T09:10', 4, { site: 'ct-center' }),
        rating('2026-11-21T09:20', 3, { site: 'ct-ninh-kieu', branch: 'br-ninh-kieu' }),
      ],
      { groupBy: ['counter'], period: 'day' },
    )
    expect(groups.map((g) => [g.key, g.period.label, g.kpis.counted, g.kpis.satisfactionIndex])).toEqual([
      [{ site: 'ct-center', counter: 'q01' }, '2026-11-21', 2, 50],
      [{ site: 'ct-ninh-kieu', counter: 'q01' }, '2026-11-21', 1, 33.3],
    ])
  })

  it('groups one department across sites, and by branch, province and officer', () => {
    const ratings = [
      rating('2026-11-21T09:00', 1, { site: 'ct-center', department: 'so-y-te', officer: 'cb-1' }),
      rating('2026-11-21T09:10', 2, { site: 'ct-ninh-kieu', branch: 'br-ninh-kieu', department: 'so-y-te', officer: 'cb-2' }),
      rating('2026-11-21T09:20', 4, { site: 'ct-ninh-kieu', branch: 'br-ninh-kieu', department: 'so-tu-phap', officer: null }),
    ]
    const byDept = aggregateRatings(ratings, { groupBy: ['department'], period: 'month' })
    expect(byDept.map((g) => [g.key.department, g.kpis.counted, g.kpis.satisfactionIndex])).toEqual([
      ['so-tu-phap', 1, 0],
      ['so-y-te', 2, 83.35],
    ])
    const byBranch = aggregateRatings(ratings, { groupBy: ['branch'], period: 'year' })
    expect(byBranch.map((g) => [g.key.branch, g.kpis.counted])).toEqual([
      ['br-ninh-kieu', 2],
      [null, 1],
    ])
    const byProvince = aggregateRatings(ratings, { groupBy: ['province'], period: 'quarter' })
    expect(byProvince).toHaveLength(1)
    expect(byProvince[0]!.period.label).toBe('2026-Q4')
    expect(byProvince[0]!.kpis.satisfactionIndex).toBeCloseTo((100 + 66.7 + 0) / 3, 10)
    const byOfficer = aggregateRatings(ratings, { groupBy: ['officer'], period: 'day' })
    expect(byOfficer.map((g) => g.key.officer)).toEqual(['cb-1', 'cb-2', null])
  })

  it('buckets at local midnight and Monday week start', () => {
    const ratings = [
      rating('2026-11-21T23:59:59', 1), // Saturday
      rating('2026-11-22T00:00', 4), // Sunday
      rating('2026-11-23T00:00', 2), // Monday
    ]
    const days = aggregateRatings(ratings, { groupBy: ['site'], period: 'day' })
    expect(days.map((g) => [g.period.label, g.kpis.counted])).toEqual([
      ['2026-11-21', 1],
      ['2026-11-22', 1],
      ['2026-11-23', 1],
    ])
    const weeks = aggregateRatings(ratings, { groupBy: ['site'], period: 'week' })
    expect(weeks.map((g) => [g.period.label, g.period.start, g.kpis.counted, g.kpis.satisfactionIndex])).toEqual([
      ['2026-W47', vn('2026-11-16T00:00'), 2, 50],
      ['2026-W48', vn('2026-11-23T00:00'), 1, 66.7],
    ])
  })

  it('live: only ratings inside the window', () => {
    const now = vn('2026-11-21T10:00')
    const groups = aggregateRatings(
      [rating('2026-11-21T09:44', 4), rating('2026-11-21T09:46', 1), rating('2026-11-21T10:00', 2)],
      { groupBy: ['counter'], period: { unit: 'live', now, windowMs: 15 * 60_000 } },
    )
    expect(groups).toHaveLength(1)
    expect(groups[0]!.period).toEqual({ unit: 'live', label: 'live', start: now - 15 * 60_000, end: now })
    expect(groups[0]!.kpis.counted).toBe(2)
    expect(groups[0]!.kpis.satisfactionIndex).toBeCloseTo(83.35, 10)
  })

  it('ratings per ticket served, including counters that served but got no rating', () => {
    const tickets = [
      ticket('2026-11-21T08:00', 'A001', 'issued', { counter: 'tiep-nhan' }),
      ticket('2026-11-21T08:10', 'A001', 'called'),
      ticket('2026-11-21T08:20', 'A001', 'finished'),
      ticket('2026-11-21T08:05', 'A002', 'issued', { counter: 'tiep-nhan' }),
      ticket('2026-11-21T08:25', 'A002', 'called'),
      ticket('2026-11-21T08:40', 'A002', 'finished'),
      ticket('2026-11-21T08:06', 'A003', 'issued', { counter: 'tiep-nhan' }), // never served
      ticket('2026-11-21T08:30', 'B001', 'called', { counter: 'q02' }),
      ticket('2026-11-21T08:45', 'B001', 'finished', { counter: 'q02' }),
    ]
    const ratings = [
      rating('2026-11-21T08:21', 1, { ticket: 'A001' }),
      rating('2026-11-21T08:41', 2),
      rating('2026-11-21T08:50', 3),
      rating('2026-11-21T08:50:01', 3, { misuse: 'rapid' }),
    ]
    const groups = aggregateRatings(ratings, { groupBy: ['counter'], period: 'day', tickets })
    expect(groups.map((g) => [g.key.counter, g.kpis.counted, g.kpis.ticketsServed, g.kpis.ratingsPerTicket, g.kpis.satisfactionIndex])).toEqual([
      ['q01', 3, 2, 1.5, (100 + 66.7 + 33.3) / 3],
      ['q02', 0, 1, 0, null],
    ])
    // Ticket events do not name the officer: per officer it is unknown, not 0.
    const perOfficer = aggregateRatings(ratings, { groupBy: ['officer'], period: 'day', tickets })
    expect(perOfficer.map((g) => [g.key.officer, g.kpis.ticketsServed, g.kpis.ratingsPerTicket])).toEqual([['cb-001', null, null]])
    // Without ticket data it is unknown too.
    expect(aggregateRatings(ratings, { groupBy: ['counter'], period: 'day' })[0]!.kpis.ticketsServed).toBeNull()
  })
})
