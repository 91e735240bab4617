/**
 * A case's legal clocks (pure; seed 002 §10 b, docs/complaints.md):
 * - handled within 20 days of receipt: calendar days ("20 ngày", where the
 *   same text says "ngày làm việc" when it means working days);
 * - if not handled by then, a progress update every 7 days: calendar days,
 *   counted from the 20-day deadline, then from the last update;
 * - the result recorded within 2 working days of the handling's end.
 * A period of days does not count its first day and, when its last day is
 * not a working day, ends with the next one (Civil Code 2015 art. 147–148);
 * a deadline is the end (24:00 local) of its last day.
 */
import { calendarDaysDue, dayStart, localDay, workingDaysDue, type WorkCalendar } from './calendar.js'
import type { CaseState } from './fold.js'

export const HANDLE_DAYS = 20
export const PROGRESS_EVERY_DAYS = 7
export const RESULT_WORKING_DAYS = 2

export type ClockKind = 'handle' | 'progress' | 'result'

export interface NextDeadline {
  clock: ClockKind
  /** The deadline: the first instant after its last day. */
  due: number
  /** Local days from today to the deadline's last day: 0 is today, negative is overdue. */
  daysLeft: number
  overdue: boolean
}

export interface CaseClocks {
  handleDue: number
  /** Whether the case was resolved by the 20-day deadline; null while it is not resolved. */
  handledInTime: boolean | null
  resultDue: number | null
  resultInTime: boolean | null
  /** The clock running now; null once the result is recorded. */
  next: NextDeadline | null
}

const end = (day: number) => dayStart(day + 1)

export function caseClocks(s: CaseState, cal: WorkCalendar, now: number): CaseClocks {
  const handleDay = calendarDaysDue(cal, localDay(s.complaint.at), HANDLE_DAYS)
  const handleDue = end(handleDay)
  const resultDue = s.resolvedAt === null ? null : end(workingDaysDue(cal, localDay(s.resolvedAt), RESULT_WORKING_DAYS))
  const handledInTime = s.resolvedAt === null ? null : s.resolvedAt < handleDue
  const resultInTime = s.resultAt === null || resultDue === null ? null : s.resultAt < resultDue
  const deadline = (clock: ClockKind, due: number): NextDeadline => ({ clock, due, daysLeft: localDay(due - 1) - localDay(now), overdue: now >= due })
  let next: NextDeadline | null = null
  if (s.status === 'resolved' && resultDue !== null) next = deadline('result', resultDue)
  else if (s.status === 'open') {
    if (now < handleDue) next = deadline('handle', handleDue)
    else {
      // Updates before the 20 days are not the periodic ones; the cycle starts at the deadline.
      const last = s.lastProgressAt !== null && s.lastProgressAt >= handleDue ? localDay(s.lastProgressAt) : handleDay
      next = deadline('progress', end(calendarDaysDue(cal, last, PROGRESS_EVERY_DAYS)))
    }
  }
  return { handleDue, handledInTime, resultDue, resultInTime, next }
}
