/**
 * The console's duty view (issue 15, seed 003: working hours, lateness,
 * absence): for one site or every site the person may see, and a period of
 * the drill-down's picker, the counters' opening time nobody was signed in,
 * and, where canSeeOfficers allows, each officer's hours on duty, lateness,
 * absence and ratings per hour on duty. Read by hub/queries/duty.ts, whose
 * figures come from the pure hub/kpi/duty.ts; this file only narrows to what
 * the person may see (the period's sums are hub/reports/duty.ts's, shared
 * with the report).
 */
import { MotcuaError } from '../../common/errors.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { MAX_DUTY_SITE_DAYS, queryDuty, type OfficerDayRow } from '../queries/duty.js'
import { counterPeriods, officerPeriods, siteDays, type CounterPeriodRow, type OfficerPeriodRow } from '../reports/duty.js'
import { canSeeMetrics, canSeeOfficers, type Principal } from '../users/roles.js'

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
  const asked = siteDays(sites.length, q.period, q.nowMs)
  if (asked > MAX_DUTY_SITE_DAYS) {
    throw new MotcuaError('HUB_QUERY_INVALID', `${asked} site-days is more than ${MAX_DUTY_SITE_DAYS}; choose one site or a shorter period`)
  }
  await beforeRead?.()
  const answer = await queryDuty(db, dir, { sites, fromMs: q.period.start, toMs: Math.min(q.period.end, q.nowMs + 1), nowMs: q.nowMs })
  const officerDays = answer.officers.filter((d) => canSeeOfficers(p, d.site))
  return {
    period: q.period,
    site: q.site,
    sites: sites.length,
    days: answer.days,
    officersShown: sites.some((s) => canSeeOfficers(p, s)),
    officers: officerPeriods(officerDays),
    officerDays: q.site === null ? [] : officerDays,
    counters: counterPeriods(answer.counters),
  }
}
