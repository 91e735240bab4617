/**
 * Officer duty read from InfluxDB (issue 15): the `duty` points of the asked
 * sites and days, turned into figures by the pure hub/kpi/duty.ts, with the
 * names of the site directory. Shared by the KPI API (GET /api/v1/duty) and
 * the console and reports.
 */
import { DAY_MS } from '../../common/time.js'
import { DUTY_REASONS, type DutyReason } from '../../protocol/records.js'
import {
  counterDays, dayLabel, daysIn, dutyIntervals, officerDays, ratingsPerHour, type CounterDay, type DutyEvent, type DutyInterval, type DutySchedule, type OfficerDay,
} from '../kpi/duty.js'
import { rowsOf, type InfluxQuery } from './client.js'
import type { Directory, NamedId } from './directory.js'
import { localTimeGroup, tagFilters, timeRange } from './influxql.js'
import { NO_OFFICER } from '../influx/schema.js'

/** Sites × days one duty question may cover: a province's month (600 × 31), or one site's year. */
export const MAX_DUTY_SITE_DAYS = 20_000

export interface DutyQuery {
  /** The sites to read (already narrowed to what the caller may see). */
  sites: readonly string[]
  fromMs: number
  toMs: number
  nowMs: number
  /** Narrow the answer to these counters or officers. */
  counters?: readonly string[]
  officers?: readonly string[]
}

export interface OfficerDayRow extends Omit<OfficerDay, 'counters'> {
  siteName: string
  officerName: string
  counters: NamedId[]
  /** Ratings credited to the officer that day (misuse left out). */
  ratings: number
  /** `ratings` per hour on duty; null without time on duty. */
  ratingsPerHour: number | null
}

export interface CounterDayRow extends CounterDay {
  siteName: string
  counterName: string
  department: string | null
  departmentName: string | null
}

export interface DutyAnswer {
  /** The local days covered, "2026-11-23". */
  days: string[]
  officers: OfficerDayRow[]
  counters: CounterDayRow[]
  intervals: DutyInterval[]
}

/** The schedule of hub/kpi/duty.ts from the directory. */
export function scheduleOf(dir: Directory): DutySchedule {
  return {
    scheduled: (site) => dir.dutySetup(site).scheduled,
    kioskCounters: (site) => dir.dutySetup(site).kioskCounters,
    hours: (site) => dir.openingHours(site),
  }
}

/** Duty events of the sites in [fromMs, toMs), oldest first (ties in the edge's order). */
export async function queryDutyEvents(db: InfluxQuery, sites: readonly string[], fromMs: number, toMs: number): Promise<DutyEvent[]> {
  if (sites.length === 0) return []
  const where = [timeRange(fromMs, toMs), ...tagFilters({ site: sites })].join(' AND ')
  const [series] = await db.run([`SELECT "reason", "seq" FROM "duty" WHERE ${where} GROUP BY "site", "counter", "officer", "event"`])
  const events: (DutyEvent & { seq: number })[] = []
  for (const s of series ?? []) {
    const tags = s.tags ?? {}
    for (const row of rowsOf(s)) {
      const reason = String(row.reason) as DutyReason
      if (!DUTY_REASONS.includes(reason) || !tags.site) continue
      events.push({
        t: Number(row.time), seq: Number(row.seq ?? 0), site: tags.site,
        counter: tags.counter || null, officer: tags.officer || null, event: tags.event === 'in' ? 'in' : 'out', reason,
      })
    }
  }
  return events.sort((a, b) => a.t - b.t || a.seq - b.seq)
}

/** Ratings per site, officer and local day ("site\0officer\0day" → count), misuse left out. */
async function ratingCounts(db: InfluxQuery, sites: readonly string[], fromMs: number, toMs: number): Promise<Map<string, number>> {
  const where = [timeRange(fromMs, toMs), ...tagFilters({ site: sites }), `"officer" != '${NO_OFFICER}'`, `"misuse" = ''`].join(' AND ')
  const [series] = await db.run([`SELECT count("score") AS "n" FROM "rating" WHERE ${where} GROUP BY "site", "officer", ${localTimeGroup('day')}`])
  const counts = new Map<string, number>()
  for (const s of series ?? []) {
    for (const row of rowsOf(s)) {
      const n = Number(row.n ?? 0)
      if (n > 0) counts.set(`${s.tags?.site}\u0000${s.tags?.officer}\u0000${dayLabel(Number(row.time))}`, n)
    }
  }
  return counts
}

/**
 * Hours on duty, lateness and absence per officer and day, unstaffed opening
 * time per counter and day, and ratings per hour on duty. Intervals start on
 * the day they are counted in (they end by local midnight), so the events of
 * the asked days are all that is read.
 */
export async function queryDuty(db: InfluxQuery, dir: Directory, q: DutyQuery): Promise<DutyAnswer> {
  const days = daysIn(q.fromMs, q.toMs)
  const readFrom = days[0] ?? q.fromMs
  const readTo = Math.min((days.at(-1) ?? q.fromMs) + DAY_MS, q.nowMs + 1)
  if (q.sites.length === 0 || readTo <= readFrom) return { days: [], officers: [], counters: [], intervals: [] }
  const [events, ratings] = await Promise.all([queryDutyEvents(db, q.sites, readFrom, readTo), ratingCounts(db, q.sites, readFrom, readTo)])
  const schedule = scheduleOf(dir)
  const intervals = dutyIntervals(events, q.nowMs)
  const wanted = <T>(list: readonly string[] | undefined, v: T & string) => !list || list.includes(v)
  const officers = officerDays(intervals, days, schedule, q.nowMs)
    .filter((d) => q.sites.includes(d.site) && wanted(q.officers, d.officer) && (!q.counters || d.counters.some((c) => q.counters!.includes(c))))
    .map((d): OfficerDayRow => {
      const n = ratings.get(`${d.site}\u0000${d.officer}\u0000${d.day}`) ?? 0
      return {
        ...d,
        siteName: dir.site(d.site).name,
        officerName: dir.officerName(d.site, d.officer),
        counters: d.counters.map((c) => ({ id: c, name: dir.counterName(d.site, c) })),
        ratings: n,
        ratingsPerHour: ratingsPerHour(d, n),
      }
    })
  const counters = counterDays(intervals, days, q.sites, schedule, q.nowMs)
    .filter((c) => wanted(q.counters, c.counter))
    .map((c): CounterDayRow => {
      const department = dir.counters(c.site).find((k) => k.id === c.counter)?.department ?? null
      return {
        ...c,
        siteName: dir.site(c.site).name,
        counterName: dir.counterName(c.site, c.counter),
        department,
        departmentName: department === null ? null : dir.departmentName(c.site, department),
      }
    })
  const shown = intervals.filter((i) => wanted(q.officers, i.officer) && wanted(q.counters, i.counter) && i.to > readFrom)
  return { days: days.filter((d) => d <= q.nowMs).map(dayLabel), officers, counters, intervals: shown }
}
