import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../common/random.js'
import { DAY_MS } from '../../../common/time.js'
import { DEFAULT_OPENING_HOURS, openingHoursSchema } from '../../../hub/config/opening-hours.js'
import {
  counterDays, dayLabel, daysIn, dutyIntervals, localDayStart, officerDays, openingSessions, ratingsPerHour, type DutyEvent, type DutySchedule,
} from '../../../hub/kpi/duty.js'

/** Local (UTC+7) time on Monday 2026-11-23 (or another day of that week). */
const at = (hhmm: string, day = 23) => Date.UTC(2026, 10, day, Number(hhmm.slice(0, 2)) - 7, Number(hhmm.slice(3, 5)))
const MON = localDayStart(at('12:00'))
const ev = (time: string, event: 'in' | 'out', officer: string | null, counter: string | null, reason: DutyEvent['reason'], day = 23): DutyEvent => ({
  t: at(time, day), site: 's1', counter, officer, event, reason,
})
const hours = openingHoursSchema.parse(undefined)
const schedule = (scheduled: string[] = ['a'], kiosks: string[] = ['q1', 'q2']): DutySchedule => ({
  scheduled: () => scheduled,
  kioskCounters: () => kiosks,
  hours: () => hours,
})

describe('opening hours', () => {
  it('defaults to the civil-service week: Mon–Fri 07:30–11:30 and 13:30–17:00, Saturday and Sunday closed', () => {
    expect(hours).toEqual(DEFAULT_OPENING_HOURS)
    expect(dayLabel(MON)).toBe('2026-11-23')
    expect(openingSessions(hours, MON)).toEqual([[at('07:30'), at('11:30')], [at('13:30'), at('17:00')]])
    expect(openingSessions(hours, localDayStart(at('09:00', 28)))).toEqual([])
    const sat = openingHoursSchema.parse({ saturday: ['07:30-11:30'], closed: ['2026-11-23'] })
    expect(openingSessions(sat, localDayStart(at('09:00', 28)))).toEqual([[at('07:30', 28), at('11:30', 28)]])
    expect(openingSessions(sat, MON)).toEqual([])
  })

  it('refuses sessions out of order, backwards or malformed, naming the entry', () => {
    expect(openingHoursSchema.safeParse({ weekdays: ['13:30-17:00', '07:30-11:30'] }).error?.issues[0]?.path).toEqual(['weekdays', 1])
    expect(openingHoursSchema.safeParse({ weekdays: ['11:30-07:30'] }).success).toBe(false)
    expect(openingHoursSchema.safeParse({ weekdays: ['7:30-11:30'] }).success).toBe(false)
    expect(openingHoursSchema.safeParse({ holidays: [] }).success).toBe(false)
  })
})

describe('duty intervals', () => {
  it('closes on sign-out, on another officer signing in, on restart, and at local midnight; a replay changes nothing', () => {
    const events = [
      ev('07:25', 'in', 'a', 'q1', 'sign-in'),
      ev('07:25', 'in', 'a', 'q1', 'sign-in'),
      ev('09:00', 'out', 'a', 'q1', 'replaced'),
      ev('09:00', 'in', 'b', 'q1', 'sign-in'),
      ev('10:00', 'in', 'c', 'q2', 'sign-in'),
      ev('11:00', 'out', null, null, 'restart'),
      ev('13:40', 'in', 'a', 'q1', 'sign-in'),
      ev('17:05', 'out', 'a', 'q1', 'sign-out'),
      ev('17:05', 'out', 'a', 'q1', 'sign-out'),
      ev('20:00', 'in', 'b', 'q2', 'sign-in'),
    ]
    const list = dutyIntervals(events, at('12:00', 24))
    expect(list.map((i) => [i.officer, i.counter, dayLabel(i.from), new Date(i.from).toISOString().slice(11, 16), (i.to - i.from) / 60_000, i.end])).toEqual([
      ['a', 'q1', '2026-11-23', '00:25', 95, 'replaced'],
      ['b', 'q1', '2026-11-23', '02:00', 120, 'restart'],
      ['c', 'q2', '2026-11-23', '03:00', 60, 'restart'],
      ['a', 'q1', '2026-11-23', '06:40', 205, 'sign-out'],
      ['b', 'q2', '2026-11-23', '13:00', 240, 'day-end'],
    ])
  })

  it('an interval still open runs to now', () => {
    const [iv] = dutyIntervals([ev('08:00', 'in', 'a', 'q1', 'sign-in')], at('09:30'))
    expect(iv).toMatchObject({ from: at('08:00'), to: at('09:30'), end: 'open' })
  })

  it('equals the plain rules, walked over every open interval at each event, on 3,000 random events of 3 sites', () => {
    const rand = seededRandom(3)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
    const events: DutyEvent[] = Array.from({ length: 3000 }, () => {
      const restart = rand() < 0.03
      return {
        t: MON + Math.floor(rand() * 4.5 * DAY_MS),
        site: pick(['s1', 's2', 's3']),
        counter: restart ? null : pick(['q1', 'q2', 'q3', 'q4']),
        officer: restart ? null : pick(['a', 'b', 'c', null]),
        event: restart ? 'out' : pick(['in', 'in', 'out'] as const),
        reason: restart ? 'restart' : pick(['sign-in', 'sign-out', 'end-of-day'] as const),
      }
    })
    const got = dutyIntervals(events, MON + 4.6 * DAY_MS)
    expect(got.length).toBeGreaterThan(500)
    expect(new Set(got.map((i) => i.end))).toEqual(new Set(['sign-in', 'sign-out', 'end-of-day', 'replaced', 'restart', 'day-end', 'open']))
    expect(got).toEqual(plainIntervals(events, MON + 4.6 * DAY_MS))
  })
})

/** The rules of dutyIntervals written plainly: every open interval looked at on every event. */
function plainIntervals(events: readonly DutyEvent[], now: number) {
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e)
  const open: { site: string; counter: string; officer: string; from: number }[] = []
  const out: ReturnType<typeof dutyIntervals> = []
  const close = (o: (typeof open)[number], to: number, end: ReturnType<typeof dutyIntervals>[number]['end']) => {
    open.splice(open.indexOf(o), 1)
    out.push({ ...o, to: Math.max(o.from, to), end })
  }
  const endDays = (t: number) => {
    for (const o of [...open]) if (localDayStart(o.from) + DAY_MS <= t) close(o, localDayStart(o.from) + DAY_MS, 'day-end')
  }
  for (const e of sorted) {
    endDays(e.t)
    if (e.counter === null) {
      for (const o of open.filter((x) => x.site === e.site)) close(o, e.t, e.reason)
      continue
    }
    const current = open.find((o) => o.site === e.site && o.counter === e.counter)
    if (e.event === 'out') {
      if (current && (e.officer === null || e.officer === current.officer)) close(current, e.t, e.reason)
    } else if (e.officer !== null && current?.officer !== e.officer) {
      if (current) close(current, e.t, 'replaced')
      open.push({ site: e.site, counter: e.counter, officer: e.officer, from: e.t })
    }
  }
  endDays(now)
  for (const o of [...open]) close(o, now, 'open')
  return out.sort((a, b) => a.from - b.from)
}

describe('officer days', () => {
  it('counts time on duty once across counters, within opening hours apart, and flags lateness past the grace', () => {
    const events = [
      ev('07:50', 'in', 'a', 'q1', 'sign-in'),
      ev('10:00', 'in', 'a', 'q2', 'sign-in'),
      ev('11:30', 'out', 'a', 'q1', 'sign-out'),
      ev('12:00', 'out', 'a', 'q2', 'sign-out'),
    ]
    const days = officerDays(dutyIntervals(events, at('18:00')), [MON], schedule(), at('18:00'))
    expect(days).toEqual([{
      site: 's1', officer: 'a', day: '2026-11-23', minutesOnDuty: 250, minutesInOpeningHours: 220, firstIn: at('07:50'), lastOut: at('12:00'),
      counters: ['q1', 'q2'], scheduled: true, lateMin: 20, absent: false,
    }])
    expect(ratingsPerHour(days[0]!, 25)).toBe(6)
    expect(ratingsPerHour({ minutesOnDuty: 0 }, 3)).toBeNull()
  })

  it('within the grace is not late; a scheduled officer never signed in is absent once the grace is over, not before', () => {
    const events = [ev('07:40', 'in', 'b', 'q2', 'sign-in'), ev('11:00', 'out', 'b', 'q2', 'sign-out')]
    const iv = dutyIntervals(events, at('12:00'))
    const early = officerDays(iv, [MON], schedule(['a', 'b']), at('07:44'))
    expect(early.find((d) => d.officer === 'a')).toMatchObject({ absent: false, minutesOnDuty: 0 })
    const later = officerDays(iv, [MON], schedule(['a', 'b']), at('12:00'))
    expect(later.map((d) => [d.officer, d.lateMin, d.absent])).toEqual([['a', null, true], ['b', null, false]])
    // Weekend: nobody is expected; an unscheduled officer's duty is counted but never late or absent.
    const sun = localDayStart(at('09:00', 29))
    expect(officerDays([], [sun], schedule(['a']), at('12:00', 30))).toEqual([])
    const c = officerDays(dutyIntervals([ev('09:00', 'in', 'c', 'q1', 'sign-in')], at('10:00')), [MON], schedule([]), at('10:00'))
    expect(c).toMatchObject([{ officer: 'c', scheduled: false, lateMin: null, absent: false, minutesOnDuty: 60 }])
  })
})

describe('unstaffed counters', () => {
  it('counts opening time up to now when nobody was signed in, at counters with a kiosk only', () => {
    const events = [ev('07:30', 'in', 'a', 'q1', 'sign-in'), ev('10:30', 'out', 'a', 'q1', 'sign-out'), ev('14:00', 'in', 'b', 'q1', 'sign-in')]
    const now = at('15:00')
    const days = counterDays(dutyIntervals(events, now), daysIn(MON, now), ['s1'], schedule(['a'], ['q1', 'q2']), now)
    expect(days).toEqual([
      { site: 's1', counter: 'q1', day: '2026-11-23', openMinutes: 330, unstaffedMinutes: 90 },
      { site: 's1', counter: 'q2', day: '2026-11-23', openMinutes: 330, unstaffedMinutes: 330 },
    ])
  })
})
