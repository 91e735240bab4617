/**
 * When a site receives citizens (issue 15): what duty is checked against.
 * The default is the civil service's working week (Decision 1435/QĐ-TTg's
 * 8-hour day, as most provinces keep it): Monday to Friday 07:30–11:30 and
 * 13:30–17:00. Centers that also receive on Saturday morning list it under
 * `saturday`; public holidays go in `closed`. docs/api.md "Officer duty".
 */
import { z } from 'zod'

const SESSION = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/
const session = z.string().regex(SESSION, 'a session "HH:MM-HH:MM", local time (e.g. "07:30-11:30")')

/** Minutes after local midnight of a session's start and end. */
export function sessionMinutes(s: string): [number, number] {
  const m = SESSION.exec(s)
  if (!m) throw new RangeError(`not a session: ${s}`)
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])]
}

const sessions = z.array(session).max(6).superRefine((list, ctx) => {
  let end = -1
  list.forEach((s, i) => {
    if (!SESSION.test(s)) return
    const [from, to] = sessionMinutes(s)
    if (to <= from || to > 24 * 60) ctx.addIssue({ code: 'custom', path: [i], message: `"${s}" must end after it starts, by 24:00` })
    else if (from < end) ctx.addIssue({ code: 'custom', path: [i], message: `"${s}" starts before the previous session ends (list them in order)` })
    end = to
  })
})

export const DEFAULT_OPENING_HOURS = {
  weekdays: ['07:30-11:30', '13:30-17:00'],
  saturday: [] as string[],
  sunday: [] as string[],
  closed: [] as string[],
  lateAfterMin: 15,
}

export const openingHoursSchema = z
  .strictObject({
    /** Monday to Friday. */
    weekdays: sessions.default(DEFAULT_OPENING_HOURS.weekdays),
    /** Empty: closed (the default); e.g. ["07:30-11:30"] for a Center that receives on Saturday morning. */
    saturday: sessions.default([]),
    sunday: sessions.default([]),
    /** Local dates the site is closed (public holidays, Tết): "2027-02-05". */
    closed: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a local date "YYYY-MM-DD"')).default([]),
    /** A scheduled officer's first sign-in later than this many minutes after the first session's start is late. */
    lateAfterMin: z.number().int().min(0).max(240).default(DEFAULT_OPENING_HOURS.lateAfterMin),
  })
  .default(DEFAULT_OPENING_HOURS)

export type OpeningHours = z.output<typeof openingHoursSchema>
