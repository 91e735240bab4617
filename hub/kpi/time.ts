/**
 * Reporting periods in Vietnam's local time. Asia/Ho_Chi_Minh is UTC+7 all
 * year (no daylight saving since 1975), so a fixed offset is exact and needs
 * no time-zone database on the hub.
 */
import { DAY_MS } from '../../common/time.js'

export const VN_OFFSET_MS = 7 * 3_600_000

export const PERIOD_UNITS = ['day', 'week', 'month', 'quarter', 'half', 'year'] as const
export type PeriodUnit = (typeof PERIOD_UNITS)[number]

/** "live": one rolling window ending now, for wall displays. */
export interface LivePeriod {
  unit: 'live'
  now: number
  windowMs: number
}
export type PeriodSpec = PeriodUnit | LivePeriod

/** A half-open interval [start, end) in ms since epoch, with a stable label. */
export interface PeriodBucket {
  unit: PeriodUnit | 'live'
  /** "2026-11-21", "2026-W47" (ISO week-year), "2026-11", "2026-Q4", "2026-H2", "2026" or "live". */
  label: string
  start: number
  end: number
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** Local calendar date at t, as a UTC Date whose UTC fields are the local fields. */
function localDate(t: number): Date {
  return new Date(t + VN_OFFSET_MS)
}

/** Local midnight of local date y-m-d (month 1–12; overflow allowed), in epoch ms. */
function localMidnight(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) - VN_OFFSET_MS
}

/** ISO-8601 week: weeks start on Monday; week 1 is the one holding the year's first Thursday. */
function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number; monday: number } {
  const d = new Date(Date.UTC(year, month - 1, day))
  const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay()
  const monday = Date.UTC(year, month - 1, day - weekday + 1)
  const thursday = new Date(monday + 3 * DAY_MS)
  const weekYear = thursday.getUTCFullYear()
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1
  return { weekYear, week, monday: monday - VN_OFFSET_MS }
}

/** The calendar period of the given unit that contains t. */
export function bucketOf(t: number, unit: PeriodUnit): PeriodBucket {
  const d = localDate(t)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth() + 1
  const day = d.getUTCDate()
  switch (unit) {
    case 'day': {
      const start = localMidnight(y, m, day)
      return { unit, label: `${y}-${pad(m)}-${pad(day)}`, start, end: localMidnight(y, m, day + 1) }
    }
    case 'week': {
      const w = isoWeek(y, m, day)
      return { unit, label: `${w.weekYear}-W${pad(w.week)}`, start: w.monday, end: w.monday + 7 * DAY_MS }
    }
    case 'month':
      return { unit, label: `${y}-${pad(m)}`, start: localMidnight(y, m, 1), end: localMidnight(y, m + 1, 1) }
    case 'quarter': {
      const q = Math.floor((m - 1) / 3)
      return { unit, label: `${y}-Q${q + 1}`, start: localMidnight(y, q * 3 + 1, 1), end: localMidnight(y, q * 3 + 4, 1) }
    }
    case 'half': {
      // Half-year reports (seed 001: "định kỳ 6 tháng"): January–June and July–December.
      const h = m <= 6 ? 0 : 1
      return { unit, label: `${y}-H${h + 1}`, start: localMidnight(y, h * 6 + 1, 1), end: localMidnight(y, h * 6 + 7, 1) }
    }
    case 'year':
      return { unit, label: String(y), start: localMidnight(y, 1, 1), end: localMidnight(y + 1, 1, 1) }
  }
}

/** The period of the same unit just before b: what a report compares with (the previous month, quarter...). */
export function previousBucket(b: PeriodBucket): PeriodBucket {
  if (b.unit === 'live') return { ...b, label: 'live', start: b.start - (b.end - b.start), end: b.start }
  return bucketOf(b.start - 1, b.unit)
}

/** The period of the same unit just after b. */
export function nextBucket(b: PeriodBucket): PeriodBucket {
  if (b.unit === 'live') return { ...b, start: b.end, end: b.end + (b.end - b.start) }
  return bucketOf(b.end, b.unit)
}

export function liveBucket(p: LivePeriod): PeriodBucket {
  return { unit: 'live', label: 'live', start: p.now - p.windowMs, end: p.now }
}

/** Local day number (days since 1970-01-01 local); every calendar period starts at a local midnight. */
export function localDayIndex(t: number): number {
  return Math.floor((t + VN_OFFSET_MS) / DAY_MS)
}

/**
 * bucketFor for many times: calendar buckets are remembered per local day,
 * so a year of ratings builds a few hundred buckets instead of one per rating.
 */
export function bucketer(spec: PeriodSpec): (t: number) => PeriodBucket | null {
  if (typeof spec !== 'string') return (t) => bucketFor(t, spec)
  const byDay = new Map<number, PeriodBucket>()
  return (t) => {
    const day = localDayIndex(t)
    let b = byDay.get(day)
    if (!b) byDay.set(day, (b = bucketOf(t, spec)))
    return b
  }
}

/**
 * The bucket a time falls in under a period spec, or null when a live window
 * does not contain it. The live window is (now − window, now]: a rating
 * stamped exactly "now" is live, one exactly a window old is not.
 */
export function bucketFor(t: number, spec: PeriodSpec): PeriodBucket | null {
  if (typeof spec === 'string') return bucketOf(t, spec)
  return t > spec.now - spec.windowMs && t <= spec.now ? liveBucket(spec) : null
}

const LABEL_PATTERNS: readonly [PeriodUnit, RegExp][] = [
  ['day', /^(\d{4})-(\d{2})-(\d{2})$/],
  ['week', /^(\d{4})-W(\d{2})$/],
  ['month', /^(\d{4})-(\d{2})$/],
  ['quarter', /^(\d{4})-Q([1-4])$/],
  ['half', /^(\d{4})-H([12])$/],
  ['year', /^(\d{4})$/],
]

/** Reads a period label back (e.g. from an API query); null if it is not a real period. */
export function parsePeriodLabel(label: string): PeriodBucket | null {
  for (const [unit, re] of LABEL_PATTERNS) {
    const m = re.exec(label)
    if (!m) continue
    const [a, b, c] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)]
    let probe: number
    switch (unit) {
      case 'day':
      case 'month':
      case 'year':
        probe = localMidnight(a, b, c)
        break
      case 'quarter':
        probe = localMidnight(a, (b - 1) * 3 + 1, 1)
        break
      case 'half':
        probe = localMidnight(a, (b - 1) * 6 + 1, 1)
        break
      case 'week':
        // 4 January is always in ISO week 1.
        probe = localMidnight(a, 1, 4) + (b - 1) * 7 * DAY_MS
        break
    }
    const bucket = bucketOf(probe, unit)
    // Round-tripping rejects 2026-02-30, 2026-13, 2025-W53 and the like.
    return bucket.label === label ? bucket : null
  }
  return null
}
