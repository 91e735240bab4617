/** Period arithmetic for reports and the console (hub/queries/periods.ts, hub/reports/period-title.ts): pure. */
import { describe, expect, it } from 'vitest'
import { bucketOf, parsePeriodLabel } from '../../hub/kpi/time.js'
import { bothOf, choiceOf, comparisonOf, lastWholePeriod, pairWindow, periodOfRow, recentPeriods, windowsFor } from '../../hub/queries/periods.js'
import { labelTitle, periodTitle } from '../../hub/reports/period-title.js'
import { vn } from './kpi/fixtures.js'

describe('comparing periods', () => {
  it('a period is compared with the one before it', () => {
    const q = parsePeriodLabel('2026-Q1')!
    const c = comparisonOf(q)
    expect(c.previous).toEqual(parsePeriodLabel('2025-Q4'))
    expect(choiceOf(c.current)).toEqual({ unit: 'quarter', fromMs: vn('2026-01-01T00:00'), toMs: vn('2026-04-01T00:00') })
  })

  it('a report sent on the 1st at 07:00 local covers the whole period that just ended', () => {
    const sendAt = vn('2026-07-01T07:00')
    expect(lastWholePeriod('month', sendAt).label).toBe('2026-06')
    expect(lastWholePeriod('quarter', sendAt).label).toBe('2026-Q2')
    expect(lastWholePeriod('half', sendAt).label).toBe('2026-H1')
    expect(lastWholePeriod('year', vn('2027-01-01T07:00')).label).toBe('2026')
    // One millisecond before local midnight of the 1st, the month has not ended.
    expect(lastWholePeriod('month', vn('2026-06-30T23:59:59.999')).label).toBe('2026-05')
  })

  it('a picker lists the latest periods newest first, each a whole period', () => {
    const list = recentPeriods('quarter', vn('2026-02-10T09:00'), 5)
    expect(list.map((b) => b.label)).toEqual(['2026-Q1', '2025-Q4', '2025-Q3', '2025-Q2', '2025-Q1'])
    for (let i = 1; i < list.length; i++) expect(list[i]!.end).toBe(list[i - 1]!.start)
  })

  it('a half-year is one window of its own, like months and quarters', () => {
    const h = parsePeriodLabel('2026-H2')!
    const w = windowsFor(choiceOf(h))
    expect(w.buckets).toEqual([h])
    expect(w.windows).toEqual([{ fromMs: h.start, toMs: h.end, bucket: h }])
  })
})

describe('a period and the one before it read as one window', () => {
  // What InfluxDB does with GROUP BY time(length, offset): a row carries the start of the bucket holding its points.
  const bucketStart = (t: number, timeGroup: string) => {
    const [, length, offset] = /^time\((\d+)ms, (\d+)ms\)$/.exec(timeGroup)!.map(Number) as [number, number, number]
    return Math.floor((t - offset) / length) * length + offset
  }

  it('puts every instant of each period in a bucket of its own period, whichever is longer', () => {
    for (const [a, b] of [['2025-Q4', '2026-Q1'], ['2026-01', '2026-02'], ['2026-02', '2026-03'], ['2025-H2', '2026-H1'], ['2024', '2025']] as const) {
      const first = parsePeriodLabel(a)!
      const second = parsePeriodLabel(b)!
      const w = pairWindow(first, second)
      expect(w).toMatchObject({ fromMs: first.start, toMs: second.end })
      const bucketAt = () => {
        throw new Error('a pair places rows itself')
      }
      for (const [period, t] of [[first, first.start], [first, first.end - 1], [second, second.start], [second, second.end - 1], [first, (first.start + first.end) / 2]] as const) {
        expect(periodOfRow(w, bucketStart(t, w.timeGroup!), bucketAt), `${a}/${b} at ${new Date(t).toISOString()}`).toEqual(period)
      }
    }
  })

  it('is asked for as one choice, and only of adjacent periods', () => {
    const c = comparisonOf(parsePeriodLabel('2026-Q1')!)
    expect(bothOf(c)).toEqual({ unit: 'quarter', fromMs: c.previous.start, toMs: c.current.end })
    expect(windowsFor(bothOf(c)).buckets).toEqual([c.previous, c.current])
    expect(() => pairWindow(parsePeriodLabel('2026-01')!, parsePeriodLabel('2026-03')!)).toThrow(RangeError)
  })
})

describe('period titles', () => {
  it('name periods the way the province writes them, Vietnamese and English', () => {
    const t = vn('2026-11-21T08:30')
    const vi = ['ngày 21/11/2026', 'tuần 47 năm 2026', 'tháng 11/2026', 'quý IV năm 2026', '6 tháng cuối năm 2026', 'năm 2026']
    const en = ['21 November 2026', 'week 47 of 2026', 'November 2026', 'Q4 2026', 'second half of 2026', 'year 2026']
    ;(['day', 'week', 'month', 'quarter', 'half', 'year'] as const).forEach((unit, i) => {
      expect(periodTitle(bucketOf(t, unit), 'vi')).toBe(vi[i])
      expect(periodTitle(bucketOf(t, unit), 'en')).toBe(en[i])
    })
    expect(labelTitle('2026-H1', 'vi')).toBe('6 tháng đầu năm 2026')
    expect(labelTitle('2026-Q5', 'vi')).toBeNull()
  })
})
