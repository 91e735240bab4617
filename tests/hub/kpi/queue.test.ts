import { describe, expect, it } from 'vitest'
import { aggregateQueue, pairTickets } from '../../../hub/kpi/queue.js'
import { localDayIndex } from '../../../hub/kpi/time.js'
import { rating, ticket, vn } from './fixtures.js'

// One morning at counter q01; tickets are printed at the reception kiosk ("tiep-nhan").
const morning = [
  ticket('2026-11-21T08:00', 'A001', 'issued', { counter: 'tiep-nhan' }),
  ticket('2026-11-21T08:10', 'A001', 'called'),
  ticket('2026-11-21T08:20', 'A001', 'finished'),
  ticket('2026-11-21T08:05', 'A002', 'issued', { counter: 'tiep-nhan' }),
  ticket('2026-11-21T08:25', 'A002', 'called'),
  ticket('2026-11-21T08:40', 'A002', 'finished'),
  // No-show at the first call, recalled and served.
  ticket('2026-11-21T08:06', 'A003', 'issued', { counter: 'tiep-nhan' }),
  ticket('2026-11-21T08:30', 'A003', 'called'),
  ticket('2026-11-21T08:50', 'A003', 'called'),
  ticket('2026-11-21T09:00', 'A003', 'finished'),
  // Called, never finished.
  ticket('2026-11-21T08:07', 'A004', 'issued', { counter: 'tiep-nhan' }),
  ticket('2026-11-21T08:45', 'A004', 'called'),
  // Issued only.
  ticket('2026-11-21T08:08', 'A005', 'issued', { counter: 'tiep-nhan' }),
  // Finished without a call (lost event): not served.
  ticket('2026-11-21T09:10', 'A006', 'finished'),
]
// Numbering restarts the next morning: the same "A001" is another visit.
const nextDay = [
  ticket('2026-11-22T07:30', 'A001', 'issued', { counter: 'tiep-nhan' }),
  ticket('2026-11-22T07:35', 'A001', 'called'),
  ticket('2026-11-22T07:50', 'A001', 'finished'),
]

describe('pairing ticket events into visits', () => {
  it('one visit per ticket, site and local day, at the counter that called it', () => {
    const visits = pairTickets([...nextDay, ...morning].reverse())
    expect(visits).toHaveLength(7)
    const a001 = visits.filter((v) => v.ticket === 'A001').sort((a, b) => a.day - b.day)
    const day21 = localDayIndex(vn('2026-11-21T00:00'))
    expect(a001.map((v) => [v.day, v.counter, v.issuedAt, v.calledAt, v.finishedAt])).toEqual([
      [day21, 'q01', vn('2026-11-21T08:00'), vn('2026-11-21T08:10'), vn('2026-11-21T08:20')],
      [day21 + 1, 'q01', vn('2026-11-22T07:30'), vn('2026-11-22T07:35'), vn('2026-11-22T07:50')],
    ])
    const a003 = visits.find((v) => v.ticket === 'A003')!
    expect([a003.calledAt, a003.serviceStartAt]).toEqual([vn('2026-11-21T08:30'), vn('2026-11-21T08:50')])
    expect(visits.find((v) => v.ticket === 'A005')!.counter).toBe('tiep-nhan')
    expect(visits.find((v) => v.ticket === 'A006')!.finishedAt).toBeNull()
  })

  it('a call and a finish in the same millisecond is a zero-length service', () => {
    const [v] = pairTickets([ticket('2026-11-21T08:00', 'C001', 'called'), ticket('2026-11-21T08:00', 'C001', 'finished')])
    expect([v!.serviceStartAt, v!.finishedAt]).toEqual([vn('2026-11-21T08:00'), vn('2026-11-21T08:00')])
  })

  it('the same number at two sites is two visits', () => {
    const visits = pairTickets([
      ticket('2026-11-21T08:00', 'A001', 'called', { site: 'ct-center' }),
      ticket('2026-11-21T08:00', 'A001', 'called', { site: 'ct-ninh-kieu' }),
    ])
    expect(visits.map((v) => v.site).sort()).toEqual(['ct-center', 'ct-ninh-kieu'])
  })
})

describe('queue KPIs per counter', () => {
  const ratings = [
    rating('2026-11-21T08:21', 1, { ticket: 'A001' }),
    rating('2026-11-21T09:01', 4, { ticket: 'A003', misuse: 'rapid' }),
    // Same number, next day: rates the next day's A001, not this morning's A002.
    rating('2026-11-22T07:51', 2, { ticket: 'A002' }),
  ]

  it('waiting and service time: median and nearest-rank p90, and the share of served tickets rated', () => {
    const [day] = aggregateQueue(morning, ratings, { groupBy: ['counter'], period: 'day' }).filter((g) => g.key.counter === 'q01')
    // waits 600, 1200, 1440, 2280 s; services 600, 900, 600 s.
    expect(day!.period.label).toBe('2026-11-21')
    expect(day!.kpis).toEqual({
      served: 3,
      waitCount: 4,
      waitMedianS: 1320,
      waitP90S: 2280,
      serviceCount: 3,
      serviceMedianS: 600,
      serviceP90S: 900,
      rated: 1,
      ratedShare: 1 / 3,
    })
  })

  it('a misuse-flagged press rates its ticket only when asked', () => {
    const [day] = aggregateQueue(morning, ratings, { groupBy: ['counter'], period: 'day', includeMisuse: true }).filter(
      (g) => g.key.counter === 'q01',
    )
    expect(day!.kpis.rated).toBe(2)
    expect(day!.kpis.ratedShare).toBe(2 / 3)
  })

  it('days are separate; the week holds both', () => {
    const days = aggregateQueue([...morning, ...nextDay], ratings, { groupBy: ['counter'], period: 'day' })
    expect(days.map((g) => [g.period.label, g.key.counter, g.kpis.served, g.kpis.rated])).toEqual([
      ['2026-11-21', 'q01', 3, 1],
      ['2026-11-21', 'tiep-nhan', 0, 0],
      ['2026-11-22', 'q01', 1, 0],
    ])
    const [week] = aggregateQueue([...morning, ...nextDay], ratings, { groupBy: ['site'], period: 'week' })
    // waits 600, 1200, 1440, 2280, 300 → median 1200, p90 rank ⌈4.5⌉ = 5 → 2280.
    expect(week!.kpis).toMatchObject({ served: 4, waitMedianS: 1200, waitP90S: 2280, rated: 1, ratedShare: 0.25 })
  })

  it('no tickets: nothing to report, not zeros', () => {
    expect(aggregateQueue([], ratings, { groupBy: ['counter'], period: 'day' })).toEqual([])
    const [only] = aggregateQueue([ticket('2026-11-21T08:00', 'A001', 'issued')], [], { groupBy: ['counter'], period: 'day' })
    expect(only!.kpis).toMatchObject({ served: 0, waitMedianS: null, waitP90S: null, serviceMedianS: null, ratedShare: null })
  })
})
