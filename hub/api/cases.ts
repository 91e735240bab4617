/**
 * GET /api/v1/cases (issue 16, docs/complaints.md): complaint cases with
 * their legal clocks, for the IOC's wall and the province's reporting. No
 * personal data in any answer, whatever the key: no comment, no phone
 * number, no notes, no officer; those are for the console's case handlers.
 */
import { sendJson } from '../../common/web/answer.js'
import { workCalendar } from '../cases/calendar.js'
import { caseClocks } from '../cases/deadlines.js'
import { readCases } from '../cases/store.js'
import type { ApiHandler } from './context.js'
import { filters, invalid, matchesNothing } from './params.js'

const MAX_CASES = 2000

export const casesApi: ApiHandler = async (r, deps) => {
  const status = r.query.get('status') ?? 'open'
  if (status !== 'open' && status !== 'all') throw invalid('status: "open" (not closed; the default) or "all"')
  const filter = filters(r.query, r.key, deps.dir, r.pathSite)
  if (filter.officer) throw invalid('officer: cases are not filtered by officer')
  const now = deps.now()
  const cal = workCalendar(deps.config.cases.calendar)
  const all = matchesNothing(filter) ? [] : await readCases(deps.db, filter.site)
  const matching = all.filter((c) => (status === 'all' || c.status !== 'closed')
    && (!filter.department || filter.department.includes(c.department))
    && (!filter.counter || filter.counter.includes(c.complaint.counter)))
  const cases = matching.slice(0, MAX_CASES)
  sendJson(r.res, 200, {
    data: cases.map((c) => ({
      site: c.complaint.site,
      id: c.complaint.id,
      openedAt: c.complaint.at,
      department: c.department,
      counter: c.complaint.counter,
      level: c.complaint.level,
      status: c.status,
      resolvedAt: c.resolvedAt,
      resultAt: c.resultAt,
      closedAt: c.closedAt,
      clocks: caseClocks(c, cal, now),
    })),
    meta: { status, dueSoonDays: deps.config.cases.dueSoonDays, truncated: matching.length > MAX_CASES },
  })
}
