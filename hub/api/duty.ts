/**
 * GET /api/v1/duty (issue 15): officer duty per day. Counters' unstaffed
 * opening time for every key; officers' own figures (hours, lateness,
 * absence, ratings per hour on duty) only for a key configured with
 * `officers: true`, the way the console shows them only to the roles
 * canSeeOfficers lets (an evaluation of a person is not the IOC's wall), and
 * each such answer is on the audit log before it is sent.
 */
import { MotcuaError } from '../../common/errors.js'
import { sendJson } from '../../common/web/answer.js'
import { localDayStart } from '../kpi/duty.js'
import { MAX_DUTY_SITE_DAYS, queryDuty } from '../queries/duty.js'
import type { ApiHandler } from './context.js'
import { recordExport } from './export.js'
import { filters, invalid, matchesNothing, range } from './params.js'

export const dutyApi: ApiHandler = async (r, deps) => {
  const now = deps.now()
  const { from, to } = range(r.query, now + 1, (t) => localDayStart(t - 1))
  const filter = filters(r.query, r.key, deps.dir, r.pathSite)
  const officerFigures = r.key.officers
  if (filter.officer && !officerFigures) throw new MotcuaError('HUB_API_FORBIDDEN', 'officers\' duty figures are for keys configured with officers: true')
  if (filter.department) throw invalid('department: duty is filtered by site, branch, province, counter or officer')
  const sites = matchesNothing(filter) ? [] : (filter.site ?? deps.dir.sites.map((s) => s.id))
  const days = Math.ceil((to - localDayStart(from)) / 86_400_000)
  if (sites.length * days > MAX_DUTY_SITE_DAYS) {
    throw invalid(`${sites.length} sites × ${days} days is more than ${MAX_DUTY_SITE_DAYS} site-days; narrow the sites or the dates`)
  }
  if (officerFigures) await recordExport(r, deps, filter)
  const answer = await queryDuty(deps.db, deps.dir, { sites, fromMs: from, toMs: to, nowMs: now, counters: filter.counter, officers: filter.officer })
  sendJson(r.res, 200, {
    data: officerFigures ? answer : { days: answer.days, counters: answer.counters },
    meta: { from, to, officers: officerFigures },
  })
}
