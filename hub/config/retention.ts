/**
 * The hub config's `retention` key (docs/retention.md): how many days each
 * class of data is kept, and whether this instance runs the daily sweep
 * that deletes what expired (hub/retention/). Every default is justified in
 * docs/retention.md; a class kept shorter than what reads it is refused here.
 */
import { z } from 'zod'

/** Each class of data and its default, in days (docs/retention.md, "What is kept, for how long, and why"). */
export const RETENTION_DAYS_DEFAULTS = {
  /**
   * rating, ticket, duty, directory: queue KPIs, officers' duty and reports read these raw points; an annual report
   * compares last year with the one before, so on the last day of a year the raw points must reach back to
   * 1 January two years before: 1,095 days at most (a leap day among them makes the last day the 365th).
   */
  ratings: 1095,
  /** device_status, heartbeat, edge_health, camera_status, camera_event: this month and the two before it, whole. */
  devices: 92,
  /** alert, alert_ack: a year of incidents for the annual review, and a month to write it. */
  alerts: 400,
  /** audit (camera viewings, snapshots, exports): five years for inspections; deleted a whole chain at a time. */
  audit: 1827,
  /** console_signout: far longer than any session (sessionTtlS); a username and a time. */
  signouts: 30,
  /** report_delivery: who got which report; a year's report and its retries, plus a month. */
  deliveries: 400,
  /** kpi_* in the rollup's retention policy: five years of daily counts, no ticket or citizen in them. */
  rollup: 1827,
  /**
   * complaint, case_event: a complaint's case with the citizen's comment, phone number and the handling notes, counted
   * from the day the case closed (open cases are kept while they are handled). Decree 13/2023/NĐ-CP asks that personal
   * data be deleted once the purpose it was collected for is served; a closed case still serves the quarter's and the
   * year's reports on complaint handling (seed 002 §12) and answers a citizen who calls again: a year, then it goes whole.
   */
  cases: 365,
} as const

export type RetentionClass = keyof typeof RETENTION_DAYS_DEFAULTS

const days = z.number().int().min(1).max(36_600)

const D = RETENTION_DAYS_DEFAULTS
const daysSchema = z
  .strictObject({
    ratings: days.default(D.ratings),
    devices: days.default(D.devices),
    alerts: days.default(D.alerts),
    audit: days.default(D.audit),
    signouts: days.default(D.signouts),
    deliveries: days.default(D.deliveries),
    rollup: days.default(D.rollup),
    cases: days.default(D.cases),
  })
  .default(D)

export const RETENTION_DEFAULTS = {
  sweep: true,
  sweepAt: { hour: 2, minute: 30 },
  days: RETENTION_DAYS_DEFAULTS,
}

export const retentionConfigSchema = z
  .strictObject({
    /**
     * Whether this instance runs the daily sweep (InfluxDB 1.x). Deleting is idempotent, so two instances sweeping
     * do no harm, only the same work twice: turn it off on all but one instance of a province.
     */
    sweep: z.boolean().default(true),
    /** Local time (Asia/Ho_Chi_Minh) of the daily sweep: a quiet hour, before the reports go at 07:00. */
    sweepAt: z.strictObject({ hour: z.number().int().min(0).max(23), minute: z.number().int().min(0).max(59) }).default({ hour: 2, minute: 30 }),
    days: daysSchema,
  })
  .superRefine((r, ctx) => {
    // The rollup is counted from raw ratings and tickets: kept shorter, rating KPIs of days whose raw points are
    // still there would read empty cubes (hub/queries/ratings.ts trusts every rolled-up day).
    if (r.days.rollup < r.days.ratings) {
      ctx.addIssue({
        code: 'custom',
        path: ['days', 'rollup'],
        message: `the rollup (${r.days.rollup} days) must be kept at least as long as ratings (${r.days.ratings} days): rating KPIs are read from it`,
      })
    }
  })

export type RetentionConfig = z.output<typeof retentionConfigSchema>

/**
 * Checks against other keys of the hub config: a sign-out deleted before the session it ended expires would let
 * that session in again (hub/users/sign-outs.ts reads back `sessionTtlS`).
 */
export function retentionAgainstSessions(c: { retention: RetentionConfig; sessionTtlS: number }, ctx: z.RefinementCtx): void {
  if (c.retention.days.signouts * 86_400 < c.sessionTtlS) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention', 'days', 'signouts'],
      message: `sign-outs (${c.retention.days.signouts} days) must be kept at least as long as a session lasts (sessionTtlS ${c.sessionTtlS} s)`,
    })
  }
}
