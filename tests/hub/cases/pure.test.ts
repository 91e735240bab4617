/**
 * Complaint cases, pure (issue 16, docs/complaints.md): the working-day
 * calendar with Vietnamese public holidays (across Tết Bính Ngọ 2026 and the
 * swapped Saturday of 2025), the seed 002 §10 clocks, the fold of a case's
 * events, its deadline alerts and the console's view of it per role.
 */
import { describe, expect, it } from 'vitest'
import { caseDeadlineConditions } from '../../../hub/cases/alerts.js'
import {
  calendarDaysDue, dayLabel, DEFAULT_HOLIDAYS, isWorkingDay, localDay, workCalendar, workingDaysDue,
} from '../../../hub/cases/calendar.js'
import { casesConfigSchema } from '../../../hub/cases/config.js'
import { byUrgency, caseView } from '../../../hub/cases/console.js'
import { caseClocks } from '../../../hub/cases/deadlines.js'
import { applyEvent, foldCases, openCase, refusal, type CaseEvent, type CaseEventKind, type Complaint } from '../../../hub/cases/fold.js'
import { actionProblem, caseEventPoint } from '../../../hub/cases/store.js'
import { createDirectory } from '../../../hub/queries/directory.js'
import { canSeeComplaintDetails, type Principal } from '../../../hub/users/roles.js'

const cal = workCalendar()
/** A local (UTC+7) time. */
const vn = (s: string) => Date.parse(`${s}+07:00`)
const day = (d: string) => localDay(vn(`${d}T12:00:00`))
/** The end of a local day: the instant a deadline on that day passes. */
const endOf = (d: string) => vn(`${d}T00:00:00`) + 86_400_000

const complaint = (at: number, extra: Partial<Complaint> = {}): Complaint => ({
  site: 'ct-center', id: `cmp-${at}`, at, department: 'tu-phap', counter: 'q1', officer: 'nv-a', device: 'kiosk-q1',
  rating: 'evt-00000001', level: 1, comment: 'Chờ quá lâu', phone: '0912345678', lang: 'vi', ...extra,
})
const event = (c: Complaint, kind: CaseEventKind, at: number, extra: Partial<CaseEvent> = {}): CaseEvent => ({
  site: c.site, case: c.id, kind, at, by: 'gs-a: Giám sát A', department: '', handler: '', note: '', ...extra,
})

describe('working-day calendar', () => {
  it('has the Labour Code\'s eleven public holidays each year, all on weekdays, and knows their weekdays', () => {
    for (const year of ['2025', '2026', '2027']) {
      const days = DEFAULT_HOLIDAYS.filter((h) => h.date.startsWith(year))
      // 11 days off by law; a holiday on a weekend moves to the next working day, and 2025 swapped one more.
      expect(days.length, year).toBe(year === '2025' ? 12 : 11)
      for (const h of days) expect(new Date(`${h.date}T00:00:00Z`).getUTCDay(), h.date).not.toBe(0)
      for (const h of days) expect(new Date(`${h.date}T00:00:00Z`).getUTCDay(), h.date).not.toBe(6)
    }
    expect(DEFAULT_HOLIDAYS.filter((h) => h.name.startsWith('Tết Âm lịch')).map((h) => h.date.slice(0, 7))).toEqual([
      ...Array(5).fill('2025-01'), ...Array(5).fill('2026-02'), ...Array(5).fill('2027-02'),
    ])
  })

  it('Tết Bính Ngọ 2026: 14–22 February off (five weekdays and two weekends), 23 February a working day', () => {
    const off = ['2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22']
    for (const d of off) expect(isWorkingDay(cal, day(d)), d).toBe(false)
    expect(isWorkingDay(cal, day('2026-02-13'))).toBe(true)
    expect(isWorkingDay(cal, day('2026-02-23'))).toBe(true)
    expect(dayLabel(day('2026-02-23'))).toBe('2026-02-23')
  })

  it('2025: Saturday 26 April is worked, Friday 2 May is off; 30 April, 1 May, Giỗ Tổ 7 April and 1–2 September are off', () => {
    expect(isWorkingDay(cal, day('2025-04-26'))).toBe(true)
    for (const d of ['2025-04-07', '2025-04-30', '2025-05-01', '2025-05-02', '2025-09-01', '2025-09-02']) expect(isWorkingDay(cal, day(d)), d).toBe(false)
  })

  it('the config adds holidays, declares working days that win over weekends and holidays, or drops the built-in list', () => {
    const c = casesConfigSchema.parse({ calendar: { holidays: [{ date: '2028-01-01', name: 'Tết Dương lịch' }], workdays: ['2026-02-16'] } })
    const own = workCalendar(c.calendar)
    expect(isWorkingDay(own, day('2028-01-03'))).toBe(true)
    expect(isWorkingDay(own, day('2026-02-16'))).toBe(true)
    expect(isWorkingDay(own, day('2026-02-17'))).toBe(false)
    const bare = workCalendar(casesConfigSchema.parse({ calendar: { defaults: false } }).calendar)
    expect(isWorkingDay(bare, day('2026-02-17'))).toBe(true)
    expect(casesConfigSchema.safeParse({ calendar: { holidays: [{ date: '2026-02-30', name: 'x' }] } }).success).toBe(false)
    expect(casesConfigSchema.parse({})).toEqual({ dueSoonDays: 2, calendar: { defaults: true, holidays: [], workdays: [] } })
  })

  it('counts calendar days without the first day, ending on the next working day (Civil Code art. 147–148)', () => {
    // Received Tuesday 27 January 2026: the 20th day is Monday 16 February, in Tết; the period ends Monday 23 February.
    expect(dayLabel(calendarDaysDue(cal, day('2026-01-27'), 20))).toBe('2026-02-23')
    // An ordinary period: received Monday 2 March 2026, 20 days later is Sunday 22 March, so Monday 23 March.
    expect(dayLabel(calendarDaysDue(cal, day('2026-03-02'), 20))).toBe('2026-03-23')
    expect(dayLabel(calendarDaysDue(cal, day('2026-03-03'), 20))).toBe('2026-03-23')
  })

  it('counts working days across Tết and across a swapped Saturday', () => {
    // Handled Thursday 12 February 2026: Friday 13 is the first working day, Monday 23 the second.
    expect(dayLabel(workingDaysDue(cal, day('2026-02-12'), 2))).toBe('2026-02-23')
    // Handled Friday 25 April 2025: Saturday 26 is worked, then Monday 28.
    expect(dayLabel(workingDaysDue(cal, day('2025-04-25'), 2))).toBe('2025-04-28')
    // Handled Tuesday 29 April 2025: 30/4, 1/5, 2/5 off and the weekend, so Monday 5 and Tuesday 6 May.
    expect(dayLabel(workingDaysDue(cal, day('2025-04-29'), 2))).toBe('2025-05-06')
  })
})

describe('the clocks of seed 002 §10', () => {
  const c = complaint(vn('2026-01-27T10:15:00'))

  it('an open case runs the 20-day clock to the end of its last working day', () => {
    const clocks = caseClocks(openCase(c), cal, vn('2026-02-21T09:00:00'))
    expect(clocks.handleDue).toBe(endOf('2026-02-23'))
    expect(clocks.next).toEqual({ clock: 'handle', due: endOf('2026-02-23'), daysLeft: 2, overdue: false })
    expect(caseClocks(openCase(c), cal, vn('2026-02-23T23:59:00')).next).toMatchObject({ clock: 'handle', daysLeft: 0, overdue: false })
  })

  it('past 20 days unresolved, a progress update is due every 7 days, counted from the deadline and then from the last update', () => {
    const late = caseClocks(openCase(c), cal, vn('2026-02-24T08:00:00'))
    expect(late.next).toEqual({ clock: 'progress', due: endOf('2026-03-02'), daysLeft: 6, overdue: false })
    // An update made before the 20 days ran out does not start the cycle.
    const early = applyEvent(openCase(c), event(c, 'progress', vn('2026-02-10T09:00:00'), { note: 'đang xác minh' }))
    expect(caseClocks(early, cal, vn('2026-02-24T08:00:00')).next?.due).toBe(endOf('2026-03-02'))
    const updated = applyEvent(openCase(c), event(c, 'progress', vn('2026-02-26T09:00:00'), { note: 'đã làm việc với Sở' }))
    expect(caseClocks(updated, cal, vn('2026-02-27T08:00:00')).next).toEqual({ clock: 'progress', due: endOf('2026-03-05'), daysLeft: 6, overdue: false })
    // No update in time: overdue, days left negative.
    expect(caseClocks(openCase(c), cal, vn('2026-03-04T08:00:00')).next).toEqual({ clock: 'progress', due: endOf('2026-03-02'), daysLeft: -2, overdue: true })
  })

  it('once handled, the result is due within 2 working days (across Tết); recorded, no clock runs', () => {
    const resolved = applyEvent(openCase(c), event(c, 'resolved', vn('2026-02-12T16:00:00'), { note: 'đã giải quyết' }))
    const clocks = caseClocks(resolved, cal, vn('2026-02-13T08:00:00'))
    expect(clocks).toMatchObject({ handledInTime: true, resultDue: endOf('2026-02-23'), resultInTime: null })
    expect(clocks.next).toEqual({ clock: 'result', due: endOf('2026-02-23'), daysLeft: 10, overdue: false })
    const answered = applyEvent(resolved, event(c, 'result', vn('2026-02-23T17:00:00'), { note: 'đã trả lời công dân' }))
    expect(caseClocks(answered, cal, vn('2026-02-24T08:00:00'))).toMatchObject({ resultInTime: true, next: null })
    const lateResult = applyEvent(resolved, event(c, 'result', vn('2026-02-24T08:00:00'), { note: 'trễ' }))
    expect(caseClocks(lateResult, cal, vn('2026-02-24T09:00:00')).resultInTime).toBe(false)
  })
})

describe('the fold of a case\'s events', () => {
  const c = complaint(vn('2026-03-02T09:00:00'))
  const t = (h: number) => c.at + h * 3_600_000

  it('applies assign, progress, resolve, result and close in time order, whatever order they are read in', () => {
    const events = [
      event(c, 'closed', t(50)),
      event(c, 'assigned', t(1), { department: 'y-te', handler: 'Trần B' }),
      event(c, 'result', t(40), { note: 'đã gọi lại' }),
      event(c, 'progress', t(5), { note: 'đã liên hệ' }),
      event(c, 'resolved', t(30)),
    ]
    const [state] = foldCases([c], events)
    expect(state).toMatchObject({ department: 'y-te', handler: 'Trần B', status: 'closed', lastProgressAt: t(5), resolvedAt: t(30), resultAt: t(40), closedAt: t(50) })
    expect(state!.events.map((e) => e.kind)).toEqual(['assigned', 'progress', 'resolved', 'result', 'closed'])
  })

  it('skips an event that does not fit (a second result from another instance, a close before the result, events of unknown cases)', () => {
    const other = complaint(vn('2026-03-03T09:00:00'))
    const events = [
      event(c, 'closed', t(2)),
      event(c, 'resolved', t(3)),
      event(c, 'result', t(4), { note: 'một' }),
      event(c, 'result', t(4) + 1, { note: 'hai' }),
      { ...event(c, 'progress', t(5)), case: 'cmp-unknown' },
    ]
    const cases = foldCases([c, other], events)
    expect(cases.map((s) => s.complaint.id)).toEqual([other.id, c.id])
    expect(cases[1]!.events.map((e) => e.note)).toEqual(['', 'một'])
    expect(refusal(cases[1]!, 'resolved')).toBe('the case is already resolved')
    expect(refusal(openCase(c), 'result')).toBe('resolve the case before recording its result')
    expect(refusal(openCase(c), 'closed')).toBe('record the result before closing the case')
  })

  it('checks an action\'s fields before the state is read', () => {
    expect(actionProblem({ kind: 'progress', note: '  ' }, [])).toBe('note: what was done, for a progress update')
    expect(actionProblem({ kind: 'assigned', department: 'y-te' }, ['tu-phap'])).toBe('department: one of tu-phap')
    expect(actionProblem({ kind: 'assigned', department: 'y-te' }, [])).toBeNull()
    expect(actionProblem({ kind: 'result', note: 'x'.repeat(2001) }, [])).toBe('note: at most 2000 characters')
    expect(caseEventPoint(event(c, 'resolved', t(1)), 42).timestampNs).toBe(`${t(1)}000042`)
  })
})

describe('deadline alerts', () => {
  it('raises one condition per counter, clock and deadline within dueSoonDays, with no personal data in it', () => {
    const a = complaint(vn('2026-03-02T09:00:00'))
    const b = complaint(vn('2026-03-02T15:00:00'), { id: 'cmp-b' })
    const far = complaint(vn('2026-03-10T09:00:00'), { id: 'cmp-far' })
    const now = vn('2026-03-21T10:00:00')
    const conditions = caseDeadlineConditions([openCase(a), openCase(b), openCase(far)], cal, now, 2)
    expect(conditions).toEqual([{
      kind: 'case_deadline', site: 'ct-center', subject: 'ct-center/q1', since: endOf('2026-03-23') - 3 * 86_400_000, raise: true,
      details: { clock: 'handle', due: endOf('2026-03-23'), overdue: 0, cases: 2, department: 'tu-phap', counter: 'q1' },
    }])
    expect(JSON.stringify(conditions)).not.toMatch(/0912345678|Chờ/)
    // Three days out is not near with dueSoonDays 2; handled cases run no handling clock.
    expect(caseDeadlineConditions([openCase(a)], cal, vn('2026-03-20T10:00:00'), 2)).toEqual([])
    // Handled Monday 23 March: the result is due by Wednesday 25, two days away.
    const resolved = applyEvent(openCase(a), event(a, 'resolved', vn('2026-03-23T10:00:00')))
    expect(caseDeadlineConditions([resolved], cal, vn('2026-03-23T11:00:00'), 2)[0]?.details).toMatchObject({ clock: 'result', due: endOf('2026-03-25') })
  })
})

describe('who sees what of a case', () => {
  const dir = createDirectory({ province: 'can-tho', sites: [{ id: 'ct-center', name: 'Trung tâm' }], branches: [], edges: [] })
  const c = applyEvent(openCase(complaint(vn('2026-03-02T09:00:00'))), event(complaint(vn('2026-03-02T09:00:00')), 'progress', vn('2026-03-03T09:00:00'), { note: 'gọi 0912345678' }))
  const people: Record<string, Principal> = {
    ioc: { username: 'ioc', name: 'IOC', role: 'ioc' },
    admin: { username: 'ad', name: 'Admin', role: 'admin' },
    inspector: { username: 'tt', name: 'Thanh tra', role: 'inspector' },
    supervisor: { username: 'gs', name: 'Giám sát', role: 'supervisor', sites: ['ct-center'] },
    elsewhere: { username: 'gs2', name: 'Giám sát 2', role: 'supervisor', sites: ['other'] },
  }

  it('the comment, phone, notes and officer only for the site\'s supervisors and inspectors; the clock for everyone', () => {
    expect(Object.fromEntries(Object.entries(people).map(([k, p]) => [k, canSeeComplaintDetails(p, 'ct-center')]))).toEqual({
      ioc: false, admin: false, inspector: true, supervisor: true, elsewhere: false,
    })
    const now = vn('2026-03-04T09:00:00')
    for (const who of ['ioc', 'admin'] as const) {
      const v = caseView(c, people[who]!, dir, cal, now)
      expect(v.handles).toBe(false)
      expect(v.details).toBeUndefined()
      expect(JSON.stringify(v)).not.toMatch(/0912345678|Chờ quá lâu/)
      expect(v.clocks.next?.clock).toBe('handle')
    }
    const v = caseView(c, people.supervisor!, dir, cal, now)
    expect(v).toMatchObject({ handles: true, details: { comment: 'Chờ quá lâu', phone: '0912345678' }, officer: { id: 'nv-a', name: 'nv-a' } })
    expect(v.events[0]?.note).toBe('gọi 0912345678')
    expect(caseView(c, people.ioc!, dir, cal, now).officer).toBeUndefined()
  })

  it('lists the nearest deadline first, cases with no clock running last', () => {
    const now = vn('2026-03-06T09:00:00')
    const later = openCase(complaint(vn('2026-03-05T09:00:00'), { id: 'cmp-later' }))
    const first = complaint(vn('2026-03-01T09:00:00'), { id: 'cmp-done' })
    const done = applyEvent(applyEvent(openCase(first), event(first, 'resolved', vn('2026-03-02T09:00:00'))), event(first, 'result', vn('2026-03-02T10:00:00'), { note: 'xong' }))
    const views = [later, done, c].map((x) => caseView(x, people.inspector!, dir, cal, now)).sort(byUrgency)
    expect(views.map((v) => v.id)).toEqual([c.complaint.id, 'cmp-later', 'cmp-done'])
  })
})
