/**
 * When scheduled reports are due and when a failed send is tried again
 * (pure). A report covers the last whole period of its unit and goes at
 * `sendAt` local time on the first day after it: the monthly report on the
 * 1st at 07:00 for the previous month, the quarterly one on 1 January,
 * April, July and October, and so on. Only the latest period is due: a hub
 * that was down on the 1st sends last month's report when it is back, not
 * every month it missed.
 */
import type { ReportSchedule, ReportsConfig } from '../config/reports.js'
import type { PeriodBucket } from '../kpi/time.js'
import { lastWholePeriod } from '../queries/periods.js'

export interface Due {
  schedule: ReportSchedule
  period: PeriodBucket
  /** When it became due, ms. */
  at: number
}

/** A period's send time: its end (local midnight of the next day) plus sendAt. */
export const sendTime = (period: PeriodBucket, sendAt: ReportsConfig['sendAt']): number =>
  period.end + (sendAt.hour * 60 + sendAt.minute) * 60_000

export function dueReports(schedules: readonly ReportSchedule[], sendAt: ReportsConfig['sendAt'], nowMs: number): Due[] {
  return schedules.flatMap((schedule) => {
    // Before today's send time, the period that is due is still the one before.
    let period = lastWholePeriod(schedule.unit, nowMs)
    if (nowMs < sendTime(period, sendAt)) period = lastWholePeriod(schedule.unit, period.start)
    return [{ schedule, period, at: sendTime(period, sendAt) }]
  })
}

/** The pause after the n-th failed attempt (1-based): doubling from firstDelayS up to maxDelayS. */
export function retryDelayMs(failedAttempts: number, retry: ReportsConfig['retry']): number {
  return Math.min(retry.maxDelayS, retry.firstDelayS * 2 ** Math.max(0, failedAttempts - 1)) * 1000
}
