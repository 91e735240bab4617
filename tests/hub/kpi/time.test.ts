import { describe, expect, it } from 'vitest'
import { bucketer, bucketFor, bucketOf, localDayIndex, nextBucket, parsePeriodLabel, PERIOD_UNITS, previousBucket } from '../../../hub/kpi/time.js'
import { vn } from './fixtures.js'

describe('periods in Asia/Ho_Chi_Minh (UTC+7)', () => {
  it('a day starts at local midnight, which is 17:00 UTC the day before', () => {
    const before = Date.parse('2026-11-20T16:59:59.999Z')
    const at = Date.parse('2026-11-20T17:00:00.000Z')
    expect(bucketOf(before, 'day').label).toBe('2026-11-20')
    expect(bucketOf(at, 'day')).toEqual({
      unit: 'day',
      label: '2026-11-21',
      start: at,
      end: Date.parse('2026-11-21T17:00:00.000Z'),
    })
    expect(localDayIndex(vn('2026-11-21T23:59:59.999'))).toBe(localDayIndex(vn('2026-11-21T00:00')))
    expect(localDayIndex(vn('2026-11-22T00:00')) - localDayIndex(vn('2026-11-21T00:00'))).toBe(1)
  })

  it('a week starts on Monday 00:00 local time and is labelled by ISO week-year', () => {
    // 2026-11-23 is a Monday.
    expect(bucketOf(vn('2026-11-22T23:59:59.999'), 'week').label).toBe('2026-W47')
    const w = bucketOf(vn('2026-11-23T00:00'), 'week')
    expect(w).toEqual({ unit: 'week', label: '2026-W48', start: vn('2026-11-23T00:00'), end: vn('2026-11-30T00:00') })
    // 2026 starts on a Thursday, so it has 53 ISO weeks and 1–3 January 2027 belong to 2026-W53.
    expect(bucketOf(vn('2027-01-03T12:00'), 'week').label).toBe('2026-W53')
    expect(bucketOf(vn('2027-01-04T00:00'), 'week').label).toBe('2027-W01')
    // 2021-01-01 (a Friday) belongs to the last week of 2020.
    expect(bucketOf(vn('2021-01-01T09:00'), 'week').label).toBe('2020-W53')
  })

  it('months, quarters and years start at local midnight of their first day', () => {
    const q4 = bucketOf(vn('2026-10-01T00:00'), 'quarter')
    expect(q4).toEqual({ unit: 'quarter', label: '2026-Q4', start: vn('2026-10-01T00:00'), end: vn('2027-01-01T00:00') })
    expect(bucketOf(vn('2026-09-30T23:59:59.999'), 'quarter').label).toBe('2026-Q3')
    expect(bucketOf(Date.parse('2026-09-30T17:00:00Z'), 'quarter').label).toBe('2026-Q4')
    expect(bucketOf(vn('2026-02-28T23:00'), 'month')).toMatchObject({ label: '2026-02', end: vn('2026-03-01T00:00') })
    expect(bucketOf(Date.parse('2026-12-31T17:00:00Z'), 'year')).toMatchObject({
      label: '2027',
      start: vn('2027-01-01T00:00'),
      end: vn('2028-01-01T00:00'),
    })
  })

  it('the remembering bucketer agrees with bucketOf across every boundary', () => {
    const times = [
      vn('2026-09-30T23:59:59.999'), vn('2026-10-01T00:00'), vn('2026-11-22T23:59:59.999'), vn('2026-11-23T00:00'),
      vn('2026-12-31T23:59:59.999'), vn('2027-01-01T00:00'), vn('2027-01-04T00:00'), vn('2026-10-01T12:00'),
    ]
    for (const unit of PERIOD_UNITS) {
      const cached = bucketer(unit)
      for (const t of times) expect(cached(t), `${unit} ${t}`).toEqual(bucketOf(t, unit))
    }
  })

  it('the live window is (now − window, now]', () => {
    const now = vn('2026-11-21T10:00')
    const spec = { unit: 'live' as const, now, windowMs: 15 * 60_000 }
    expect(bucketFor(now, spec)).toEqual({ unit: 'live', label: 'live', start: now - 15 * 60_000, end: now })
    expect(bucketFor(now - 15 * 60_000 + 1, spec)).not.toBeNull()
    expect(bucketFor(now - 15 * 60_000, spec)).toBeNull()
    expect(bucketFor(now + 1, spec)).toBeNull()
  })

  it('labels read back to the same bucket, and impossible labels are refused', () => {
    const t = vn('2026-11-21T08:30')
    for (const unit of PERIOD_UNITS) {
      const b = bucketOf(t, unit)
      expect(parsePeriodLabel(b.label)).toEqual(b)
    }
    expect(parsePeriodLabel('2026-W53')?.start).toBe(vn('2026-12-28T00:00'))
    for (const bad of ['2026-02-30', '2026-13', '2025-W53', '2026-W00', '2026-Q5', '2026-H3', '2026-H0', 'live', '26-11']) {
      expect(parsePeriodLabel(bad), bad).toBeNull()
    }
  })

  it('half-years are January–June and July–December, local time', () => {
    expect(bucketOf(vn('2026-06-30T23:59:59.999'), 'half')).toEqual({ unit: 'half', label: '2026-H1', start: vn('2026-01-01T00:00'), end: vn('2026-07-01T00:00') })
    expect(bucketOf(Date.parse('2026-06-30T17:00:00Z'), 'half')).toMatchObject({ label: '2026-H2', end: vn('2027-01-01T00:00') })
    expect(parsePeriodLabel('2026-H2')?.start).toBe(vn('2026-07-01T00:00'))
  })

  it('each period has one before and one after it that touch it, across year ends and leap days', () => {
    const times = [vn('2024-02-29T12:00'), vn('2026-01-01T00:00'), vn('2026-07-01T00:00'), vn('2026-12-31T23:59:59.999'), vn('2027-01-03T12:00')]
    for (const unit of PERIOD_UNITS) {
      for (const t of times) {
        const b = bucketOf(t, unit)
        const prev = previousBucket(b)
        expect(prev.end, `${unit} ${b.label}`).toBe(b.start)
        expect(prev.unit).toBe(unit)
        expect(nextBucket(prev)).toEqual(b)
        expect(nextBucket(b).start).toBe(b.end)
      }
    }
    expect(previousBucket(bucketOf(vn('2026-01-15T08:00'), 'month')).label).toBe('2025-12')
    expect(previousBucket(bucketOf(vn('2026-01-15T08:00'), 'quarter')).label).toBe('2025-Q4')
    expect(previousBucket(bucketOf(vn('2026-03-15T08:00'), 'half')).label).toBe('2025-H2')
    expect(previousBucket(bucketOf(vn('2027-01-04T08:00'), 'week')).label).toBe('2026-W53')
    expect(previousBucket(bucketOf(vn('2024-03-01T08:00'), 'day')).label).toBe('2024-02-29')
  })
})
