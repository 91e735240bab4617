/**
 * Deadline alerts of complaint cases (pure): a case whose running clock ends
 * within `dueSoonDays` days, or has ended, is a `case_deadline` condition.
 * Cases of one counter with the same clock and deadline make one condition
 * (alert subjects are `site/counter`), with how many there are. `since` is
 * when the deadline came near, from the data alone, so every hub instance
 * derives the same alert id; details carry no personal data.
 */
import { DAY_MS } from '../../common/time.js'
import type { AlertCondition } from '../kpi/alerts/types.js'
import type { WorkCalendar } from './calendar.js'
import { caseClocks } from './deadlines.js'
import type { CaseState } from './fold.js'

export function caseDeadlineConditions(cases: readonly CaseState[], cal: WorkCalendar, now: number, dueSoonDays: number): AlertCondition[] {
  const groups = new Map<string, { c: CaseState; clock: string; due: number; overdue: boolean; n: number }>()
  for (const c of cases) {
    const next = caseClocks(c, cal, now).next
    if (!next || next.daysLeft > dueSoonDays) continue
    const key = `${c.complaint.site}/${c.complaint.counter}/${next.clock}/${next.due}`
    const g = groups.get(key)
    if (g) g.n++
    else groups.set(key, { c, clock: next.clock, due: next.due, overdue: next.overdue, n: 1 })
  }
  return [...groups.values()].map(({ c, clock, due, overdue, n }) => ({
    kind: 'case_deadline',
    site: c.complaint.site,
    subject: `${c.complaint.site}/${c.complaint.counter}`,
    since: due - (dueSoonDays + 1) * DAY_MS,
    raise: true,
    details: { clock, due, overdue: overdue ? 1 : 0, cases: n, department: c.department, counter: c.complaint.counter },
  }))
}
