/**
 * Officer duty over a period (issue 15, seed 003), for the console's duty
 * tab and the report's duty sheet and section: hub/queries/duty.ts's days
 * (the pure hub/kpi/duty.ts's figures) summed per officer and per counter.
 */
import { DAY_MS } from '../../common/time.js'
import { ratingsPerHour } from '../kpi/duty.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { MAX_DUTY_SITE_DAYS, queryDuty, type CounterDayRow, type DutyAnswer, type OfficerDayRow } from '../queries/duty.js'

/** One officer's period: the sums of their days, ratings per hour over the whole period. */
export interface OfficerPeriodRow {
  site: string
  siteName: string
  officer: string
  officerName: string
  scheduled: boolean
  daysOnDuty: number
  minutesOnDuty: number
  minutesInOpeningHours: number
  daysLate: number
  lateMinutes: number
  daysAbsent: number
  ratings: number
  ratingsPerHour: number | null
}

/** One counter's period: opening time so far and the part of it nobody was signed in. */
export interface CounterPeriodRow {
  site: string
  siteName: string
  counter: string
  counterName: string
  departmentName: string | null
  openMinutes: number
  unstaffedMinutes: number
}

/** Days of `period` up to now, times the sites: what MAX_DUTY_SITE_DAYS bounds. */
export function siteDays(sites: number, period: PeriodBucket, nowMs: number): number {
  return sites * Math.max(0, Math.ceil((Math.min(period.end, nowMs + 1) - period.start) / DAY_MS))
}

/** Pure: officer-day rows summed per site and officer, by site and officer name. */
export function officerPeriods(days: readonly OfficerDayRow[]): OfficerPeriodRow[] {
  const out = new Map<string, OfficerPeriodRow>()
  for (const d of days) {
    const key = `${d.site}\u0000${d.officer}`
    const o = out.get(key) ?? {
      site: d.site, siteName: d.siteName, officer: d.officer, officerName: d.officerName, scheduled: d.scheduled,
      daysOnDuty: 0, minutesOnDuty: 0, minutesInOpeningHours: 0, daysLate: 0, lateMinutes: 0, daysAbsent: 0, ratings: 0, ratingsPerHour: null,
    }
    o.daysOnDuty += d.minutesOnDuty > 0 ? 1 : 0
    o.minutesOnDuty += d.minutesOnDuty
    o.minutesInOpeningHours += d.minutesInOpeningHours
    o.daysLate += d.lateMin === null ? 0 : 1
    o.lateMinutes += d.lateMin ?? 0
    o.daysAbsent += d.absent ? 1 : 0
    o.ratings += d.ratings
    o.ratingsPerHour = ratingsPerHour(o, o.ratings)
    out.set(key, o)
  }
  return [...out.values()].sort((a, b) => a.siteName.localeCompare(b.siteName, 'vi') || a.officerName.localeCompare(b.officerName, 'vi'))
}

/** Pure: counter-day rows summed per site and counter, the most unstaffed first. */
export function counterPeriods(days: readonly CounterDayRow[]): CounterPeriodRow[] {
  const out = new Map<string, CounterPeriodRow>()
  for (const c of days) {
    const key = `${c.site}\u0000${c.counter}`
    const row = out.get(key) ?? { site: c.site, siteName: c.siteName, counter: c.counter, counterName: c.counterName, departmentName: c.departmentName, openMinutes: 0, unstaffedMinutes: 0 }
    row.openMinutes += c.openMinutes
    row.unstaffedMinutes += c.unstaffedMinutes
    out.set(key, row)
  }
  return [...out.values()].sort((a, b) => b.unstaffedMinutes - a.unstaffedMinutes || a.siteName.localeCompare(b.siteName, 'vi') || a.counterName.localeCompare(b.counterName, 'vi'))
}

/** A report's duty: its sites' officers and counters over the period. */
export interface ReportDuty {
  officers: OfficerPeriodRow[]
  counters: CounterPeriodRow[]
}

/** The duty of the sites over the period, or null past MAX_DUTY_SITE_DAYS (a province's quarter is left out). */
export async function readReportDuty(db: InfluxQuery, dir: Directory, sites: readonly string[], period: PeriodBucket, nowMs: number): Promise<ReportDuty | null> {
  if (siteDays(sites.length, period, nowMs) > MAX_DUTY_SITE_DAYS) return null
  const answer: DutyAnswer = await queryDuty(db, dir, { sites, fromMs: period.start, toMs: Math.min(period.end, nowMs + 1), nowMs })
  return { officers: officerPeriods(answer.officers), counters: counterPeriods(answer.counters) }
}
