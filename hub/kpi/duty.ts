/**
 * Officer duty (issue 15, seed 003: "staff shortage, lateness, absence"),
 * pure: duty events → intervals on duty → per officer and local day the time
 * on duty, lateness and absence against the schedule, per counter and day the
 * opening time nobody was signed in, and ratings per hour on duty.
 * Definitions in docs/kpi.md, "Officer duty".
 */
import { DAY_MS } from '../../common/time.js'
import type { DutyReason } from '../../protocol/records.js'
import { sessionMinutes, type OpeningHours } from '../config/opening-hours.js'
import { VN_OFFSET_MS } from './time.js'

const MINUTE_MS = 60_000

export interface DutyEvent {
  t: number
  site: string
  /** Null on a restart: every counter of the site. */
  counter: string | null
  officer: string | null
  event: 'in' | 'out'
  reason: DutyReason
}

/** `end`: what closed the interval; `day-end` when nothing did before local midnight, `open` while it still runs. */
export interface DutyInterval {
  site: string
  counter: string
  officer: string
  from: number
  to: number
  end: DutyReason | 'day-end' | 'open'
}

/** Local midnight (Asia/Ho_Chi_Minh) of the day holding t. */
export const localDayStart = (t: number): number => t - ((((t + VN_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS)

/** "2026-11-23" for the local day starting at `dayStart`. */
export const dayLabel = (dayStart: number): string => new Date(dayStart + VN_OFFSET_MS).toISOString().slice(0, 10)

/** The local days (their midnights) that [from, to) touches. */
export function daysIn(from: number, to: number): number[] {
  const out: number[] = []
  for (let d = localDayStart(from); d < to; d += DAY_MS) out.push(d)
  return out
}

/**
 * Intervals on duty from events in any order (sorted here by time, ties in
 * the given order). An interval ends at the first of: its officer's `out` at
 * that counter, another officer's `in` there, a `restart` of the site, and
 * local midnight (an edge that was off over midnight never sent its
 * end-of-day). An `out` with nothing open, or a second `in` of the officer
 * on duty, changes nothing; so a replayed event is harmless.
 */
export function dutyIntervals(events: readonly DutyEvent[], now: number): DutyInterval[] {
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e)
  // Intervals are opened in time order and a Map keeps insertion order, so `open` runs from the oldest.
  const open = new Map<string, { site: string; counter: string; officer: string; from: number }>()
  // Each site's open keys, so a site-wide sign-out does not walk a province's open intervals.
  const ofSite = new Map<string, Set<string>>()
  const out: DutyInterval[] = []
  const close = (key: string, to: number, end: DutyInterval['end']) => {
    const o = open.get(key)!
    open.delete(key)
    ofSite.get(o.site)!.delete(key)
    out.push({ ...o, to: Math.max(o.from, to), end })
  }
  const closeBefore = (t: number) => {
    for (const [key, o] of open) {
      const midnight = localDayStart(o.from) + DAY_MS
      // The rest were opened later: their midnights are no earlier.
      if (midnight > t) break
      close(key, midnight, 'day-end')
    }
  }
  for (const e of sorted) {
    closeBefore(e.t)
    if (e.counter === null) {
      for (const key of [...(ofSite.get(e.site) ?? [])]) close(key, e.t, e.reason)
      continue
    }
    const key = `${e.site}\u0000${e.counter}`
    const current = open.get(key)
    if (e.event === 'out') {
      if (current && (e.officer === null || e.officer === current.officer)) close(key, e.t, e.reason)
      continue
    }
    if (e.officer === null || current?.officer === e.officer) continue
    if (current) close(key, e.t, 'replaced')
    open.set(key, { site: e.site, counter: e.counter, officer: e.officer, from: e.t })
    const keys = ofSite.get(e.site)
    if (keys) keys.add(key)
    else ofSite.set(e.site, new Set([key]))
  }
  closeBefore(now)
  for (const key of [...open.keys()]) close(key, now, 'open')
  return out.sort((a, b) => a.from - b.from)
}

/** The opening sessions of the local day starting at `dayStart`, as [from, to) ms; none on a closed day. */
export function openingSessions(hours: OpeningHours, dayStart: number): [number, number][] {
  if (hours.closed.includes(dayLabel(dayStart))) return []
  const weekday = new Date(dayStart + VN_OFFSET_MS).getUTCDay()
  const list = weekday === 0 ? hours.sunday : weekday === 6 ? hours.saturday : hours.weekdays
  return list.map((s) => {
    const [from, to] = sessionMinutes(s)
    return [dayStart + from * MINUTE_MS, dayStart + to * MINUTE_MS]
  })
}

/** Sorted, non-overlapping union of [from, to) spans. */
function union(spans: readonly [number, number][]): [number, number][] {
  const sorted = [...spans].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0])
  const out: [number, number][] = []
  for (const [a, b] of sorted) {
    const last = out.at(-1)
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

const clip = (spans: readonly [number, number][], from: number, to: number): [number, number][] =>
  spans.map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)]).filter(([a, b]) => b > a)

const length = (spans: readonly [number, number][]) => spans.reduce((n, [a, b]) => n + (b - a), 0)

/** Length of the overlap of two unions. */
function overlap(a: readonly [number, number][], b: readonly [number, number][]): number {
  return b.reduce((n, [from, to]) => n + length(clip(a, from, to)), 0)
}

const minutes = (ms: number) => Math.round(ms / MINUTE_MS)

/** What the site's directory says of who is expected and where sign-in is possible. */
export interface DutySchedule {
  /** Officers the config posts at a counter and who can sign in (a PIN): they are expected every opening day. */
  scheduled(site: string): readonly string[]
  /** Counters with a kiosk: only there can anyone sign in, so only there is a counter known to be unstaffed. */
  kioskCounters(site: string): readonly string[]
  hours(site: string): OpeningHours
}

export interface OfficerDay {
  site: string
  officer: string
  /** Local date, "2026-11-23". */
  day: string
  /** Time on duty that day, at any counter (overlaps counted once). */
  minutesOnDuty: number
  /** Of which within opening hours. */
  minutesInOpeningHours: number
  firstIn: number | null
  lastOut: number | null
  counters: string[]
  scheduled: boolean
  /** Minutes from the first session's start to the first sign-in, when more than `lateAfterMin`; else null. */
  lateMin: number | null
  /** Scheduled, the site open that day (and its grace over), and not on duty during opening hours at all. */
  absent: boolean
}

/**
 * Per officer and local day of `days`: every officer on duty that day, and
 * every scheduled officer on an opening day that has begun. Lateness and
 * absence only for scheduled officers.
 */
export function officerDays(intervals: readonly DutyInterval[], days: readonly number[], schedule: DutySchedule, now: number): OfficerDay[] {
  const out: OfficerDay[] = []
  const bySiteOfficer = new Map<string, DutyInterval[]>()
  for (const iv of intervals) {
    const key = `${iv.site}\u0000${iv.officer}`
    const list = bySiteOfficer.get(key) ?? []
    list.push(iv)
    bySiteOfficer.set(key, list)
  }
  const sites = new Set([...intervals.map((i) => i.site)])
  const keys = new Set(bySiteOfficer.keys())
  for (const site of sites) for (const o of schedule.scheduled(site)) keys.add(`${site}\u0000${o}`)
  for (const key of keys) {
    const [site, officer] = key.split('\u0000') as [string, string]
    const scheduled = schedule.scheduled(site).includes(officer)
    const hours = schedule.hours(site)
    for (const dayStart of days) {
      if (dayStart > now) continue
      const mine = (bySiteOfficer.get(key) ?? []).filter((iv) => iv.to > dayStart && iv.from < dayStart + DAY_MS)
      const spans = union(clip(mine.map((iv) => [iv.from, iv.to]), dayStart, dayStart + DAY_MS))
      const sessions = openingSessions(hours, dayStart)
      if (spans.length === 0 && !(scheduled && sessions.length > 0)) continue
      const firstIn = spans[0]?.[0] ?? null
      const open = sessions[0]?.[0]
      const grace = hours.lateAfterMin * MINUTE_MS
      const inHours = overlap(spans, sessions)
      const lateBy = firstIn !== null && open !== undefined ? firstIn - open : 0
      out.push({
        site,
        officer,
        day: dayLabel(dayStart),
        minutesOnDuty: minutes(length(spans)),
        minutesInOpeningHours: minutes(inHours),
        firstIn,
        lastOut: spans.at(-1)?.[1] ?? null,
        counters: [...new Set(mine.map((iv) => iv.counter))].sort(),
        scheduled,
        lateMin: scheduled && lateBy > grace ? minutes(lateBy) : null,
        absent: scheduled && open !== undefined && now >= open + grace && inHours === 0,
      })
    }
  }
  return out.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : a.officer < b.officer ? -1 : 1))
}

export interface CounterDay {
  site: string
  counter: string
  day: string
  /** Opening time of the day up to now. */
  openMinutes: number
  /** Of which nobody was signed in at the counter. */
  unstaffedMinutes: number
}

/** Per counter with a kiosk and opening day of `days` (up to now): opening time nobody was signed in. */
export function counterDays(intervals: readonly DutyInterval[], days: readonly number[], sites: readonly string[], schedule: DutySchedule, now: number): CounterDay[] {
  const out: CounterDay[] = []
  for (const site of sites) {
    const hours = schedule.hours(site)
    for (const counter of schedule.kioskCounters(site)) {
      const staffed = union(intervals.filter((iv) => iv.site === site && iv.counter === counter).map((iv) => [iv.from, iv.to]))
      for (const dayStart of days) {
        const sessions = clip(openingSessions(hours, dayStart), dayStart, Math.min(now, dayStart + DAY_MS))
        if (sessions.length === 0) continue
        const open = length(sessions)
        out.push({ site, counter, day: dayLabel(dayStart), openMinutes: minutes(open), unstaffedMinutes: minutes(open - overlap(staffed, sessions)) })
      }
    }
  }
  return out
}

/** Ratings per hour on duty: null without time on duty. `ratings` counts the officer's ratings of that day. */
export function ratingsPerHour(day: Pick<OfficerDay, 'minutesOnDuty'>, ratings: number): number | null {
  return day.minutesOnDuty > 0 ? Math.round((ratings / (day.minutesOnDuty / 60)) * 100) / 100 : null
}
