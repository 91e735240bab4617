/**
 * Turns a requested range into the windows the database is asked about.
 * Calendar periods are whole: the range is widened to the first and last
 * period it touches, so a "month" row always means the whole month.
 * Days and weeks are one statement with GROUP BY time; months, quarters and
 * years have no fixed length, so each is its own statement.
 */
import { bucketOf, liveBucket, previousBucket, type PeriodBucket, type PeriodUnit } from '../kpi/time.js'
import { localTimeGroup } from './influxql.js'

export type PeriodChoice = { unit: PeriodUnit; fromMs: number; toMs: number } | { unit: 'live'; nowMs: number; windowMs: number }

export interface Window {
  fromMs: number
  toMs: number
  /** Set for day/week windows: rows carry their bucket's start time. */
  timeGroup?: string
  /** Set for single-bucket windows. */
  bucket?: PeriodBucket
  /** Set for two periods read as one (pairWindow): rows before the second's start are the first's. */
  pair?: readonly [PeriodBucket, PeriodBucket]
}

/**
 * Two adjacent periods (a period and the one before it) as one window,
 * grouped by time in buckets as long as the longer period with an edge at
 * the second's start. The range keeps each bucket to its period; a row of
 * the first carries its bucket's start, which can lie before the period's,
 * so rows are placed by periodOfRow. Each series is then read once, not
 * twice: InfluxDB 1.x pays most of a province's sum per series (bench reports).
 */
export function pairWindow(first: PeriodBucket, second: PeriodBucket): Window {
  if (first.end !== second.start) throw new RangeError('the two periods of a pair must be adjacent')
  const length = Math.max(first.end - first.start, second.end - second.start)
  return { fromMs: first.start, toMs: second.end, timeGroup: `time(${length}ms, ${second.start % length}ms)`, pair: [first, second] }
}

/** The period a row of the window belongs to, by the row's time (its time bucket's start when grouped by time). */
export function periodOfRow(w: Window, t: number, bucketAt: (t: number) => PeriodBucket): PeriodBucket {
  if (w.bucket) return w.bucket
  if (w.pair) return t < w.pair[1].start ? w.pair[0] : w.pair[1]
  return bucketAt(t)
}

export const MAX_BUCKETS = 400

export function windowsFor(p: PeriodChoice): { windows: Window[]; bucketAt: (t: number) => PeriodBucket; buckets: PeriodBucket[] } {
  if (p.unit === 'live') {
    const bucket = liveBucket({ unit: 'live', now: p.nowMs, windowMs: p.windowMs })
    // The live window is (now − window, now]; in whole ms that is [now − window + 1, now + 1).
    return { windows: [{ fromMs: p.nowMs - p.windowMs + 1, toMs: p.nowMs + 1, bucket }], bucketAt: () => bucket, buckets: [bucket] }
  }
  const unit = p.unit
  if (!(p.toMs > p.fromMs)) throw new RangeError('"to" must be after "from"')
  const buckets: PeriodBucket[] = []
  for (let b = bucketOf(p.fromMs, unit); b.start < p.toMs; b = bucketOf(b.end, unit)) {
    buckets.push(b)
    if (buckets.length > MAX_BUCKETS) throw new RangeError(`more than ${MAX_BUCKETS} ${unit}s in the range; ask for a longer period unit`)
  }
  const bucketAt = (t: number) => bucketOf(t, unit)
  if (unit === 'day' || unit === 'week') {
    return { windows: [{ fromMs: buckets[0]!.start, toMs: buckets.at(-1)!.end, timeGroup: localTimeGroup(unit) }], bucketAt, buckets }
  }
  return { windows: buckets.map((b) => ({ fromMs: b.start, toMs: b.end, bucket: b })), bucketAt, buckets }
}

/** The whole calendar period as a query's period choice. */
export function choiceOf(b: PeriodBucket): PeriodChoice {
  if (b.unit === 'live') throw new RangeError('a live window is not a calendar period')
  return { unit: b.unit, fromMs: b.start, toMs: b.end }
}

/** A period and the one before it, as reports and the console compare them (this month with last month...). */
export interface Comparison {
  current: PeriodBucket
  previous: PeriodBucket
}

/** Both periods of a comparison as one query's period choice (read together: pairWindow). */
export function bothOf(c: Comparison): PeriodChoice {
  const { unit } = c.current
  if (unit === 'live') throw new RangeError('a live window is not a calendar period')
  return { unit, fromMs: c.previous.start, toMs: c.current.end }
}

export function comparisonOf(b: PeriodBucket): Comparison {
  return { current: b, previous: previousBucket(b) }
}

/** The latest period of the unit that has ended by nowMs: what a report sent on the 1st covers (last month). */
export function lastWholePeriod(unit: PeriodUnit, nowMs: number): PeriodBucket {
  return previousBucket(bucketOf(nowMs, unit))
}

/** The n latest periods of the unit up to the one holding nowMs, newest first, for a period picker. */
export function recentPeriods(unit: PeriodUnit, nowMs: number, n: number): PeriodBucket[] {
  const out = [bucketOf(nowMs, unit)]
  while (out.length < n) out.push(previousBucket(out.at(-1)!))
  return out
}
