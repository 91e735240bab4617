/**
 * The console's duty view (issue 15, seed 003: working hours, lateness,
 * absence): for one site or every site the person may see, and a period of
 * the drill-down's picker, the counters' opening time nobody was signed in,
 * and, where canSeeOfficers allows, each officer's hours on duty, lateness,
 * absence and ratings per hour on duty. Read by hub/queries/duty.ts, whose
 * figures come from the pure hub/kpi/duty.ts; this file only narrows to what
 * the person may see and adds up a period.
 */
import { MotcuaError } from '../../common/errors.js'
import { ratingsPerHour } from '../kpi/duty.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { MAX_DUTY_SITE_DAYS, queryDuty, type OfficerDayRow } from '../queries/duty.js'
import { canSeeMetrics, canSeeOfficers, type Principal } from '../users/roles.js'

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

export interface DutyView {
  period: PeriodBucket
  /** The site asked for, or null for every site the person may see. */
  site: string | null
  sites: number
  days: string[]
  /** False for a role that may not see officers (the IOC): the officer lists are then empty. */
  officersShown: boolean
  officers: OfficerPeriodRow[]
  /** Per officer and day; for one site only (a province's month would be a hundred thousand rows). */
  officerDays: OfficerDayRow[]
  counters: CounterPeriodRow[]
}

/** Pure: officer-day rows summed per site and officer, in the rows' order. */
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

/**
 * The duty of `site` (or every visible site) in `period`, up to now; null when the site is not the person's.
 * Throws HUB_QUERY_INVALID past MAX_DUTY_SITE_DAYS, as GET /api/v1/duty does. `beforeRead` runs once the
 * question is known to be answerable, before anything is read (the audit entry of officers' figures).
 */
export async function dutyView(
  db: InfluxQuery, dir: Directory, p: Principal, q: { site: string | null; period: PeriodBucket; nowMs: number }, beforeRead?: () => Promise<void>,
): Promise<DutyView | null> {
  if (q.site !== null && !canSeeMetrics(p, q.site)) return null
  const sites = q.site !== null ? [q.site] : dir.sites.filter((s) => canSeeMetrics(p, s.id)).map((s) => s.id)
  const toMs = Math.min(q.period.end, q.nowMs + 1)
  const days = Math.max(0, Math.ceil((toMs - q.period.start) / 86_400_000))
  if (sites.length * days > MAX_DUTY_SITE_DAYS) {
    throw new MotcuaError('HUB_QUERY_INVALID', `${sites.length} sites × ${days} days is more than ${MAX_DUTY_SITE_DAYS} site-days; choose one site or a shorter period`)
  }
  await beforeRead?.()
  const answer = await queryDuty(db, dir, { sites, fromMs: q.period.start, toMs, nowMs: q.nowMs })
  const officerDays = answer.officers.filter((d) => canSeeOfficers(p, d.site))
  const counters = new Map<string, CounterPeriodRow>()
  for (const c of answer.counters) {
    const key = `${c.site}\u0000${c.counter}`
    const row = counters.get(key) ?? { site: c.site, siteName: c.siteName, counter: c.counter, counterName: c.counterName, departmentName: c.departmentName, openMinutes: 0, unstaffedMinutes: 0 }
    row.openMinutes += c.openMinutes
    row.unstaffedMinutes += c.unstaffedMinutes
    counters.set(key, row)
  }
  return {
    period: q.period,
    site: q.site,
    sites: sites.length,
    days: answer.days,
    officersShown: sites.some((s) => canSeeOfficers(p, s)),
    officers: officerPeriods(officerDays),
    officerDays: q.site === null ? [] : officerDays,
    counters: [...counters.values()].sort((a, b) => b.unstaffedMinutes - a.unstaffedMinutes || a.siteName.localeCompare(b.siteName, 'vi') || a.counterName.localeCompare(b.counterName, 'vi')),
  }
}
