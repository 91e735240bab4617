/**
 * The hub config's `cases` key (docs/complaints.md): the working-day calendar
 * the deadlines are counted in, and how near a deadline raises an alert.
 */
import { z } from 'zod'

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date "YYYY-MM-DD"').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real date')

export const CASES_DEFAULTS = {
  dueSoonDays: 2,
  calendar: { defaults: true, holidays: [], workdays: [] },
}

export const casesConfigSchema = z.strictObject({
  /** A case whose next deadline is this many days away or less raises an alert (hub/cases/alerts.ts). */
  dueSoonDays: z.number().int().min(0).max(30).default(CASES_DEFAULTS.dueSoonDays),
  calendar: z
    .strictObject({
      /** The built-in Vietnamese public holidays 2025–2027 (hub/cases/calendar.ts); false to list every holiday here. */
      defaults: z.boolean().default(true),
      /** More days off: next years' holidays, the year's Tết as decided, a province's own bridge days. */
      holidays: z.array(z.strictObject({ date, name: z.string().min(1).max(120) })).max(500).default([]),
      /** Days worked although a weekend or a listed holiday: the Saturday worked for a swapped bridge day. */
      workdays: z.array(date).max(200).default([]),
    })
    .default(CASES_DEFAULTS.calendar),
})

export type CasesConfig = z.output<typeof casesConfigSchema>
