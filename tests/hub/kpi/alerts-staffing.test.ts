/**
 * The alerts seed 003 §2.3 names (issue 16): a counter unstaffed during
 * opening hours, from officer duty (hub/kpi/duty.ts), and overload of a
 * site's queue, from ticket events. Pure: facts and the time in, conditions
 * and alert transitions out.
 */
import { describe, expect, it } from 'vitest'
import { alertThresholds, alertsConfigSchema, RECIPIENT_ROLES } from '../../../hub/config/alerts.js'
import { ROLES } from '../../../hub/config/schema.js'
import { openingHoursSchema } from '../../../hub/config/opening-hours.js'
import { detectOverload, detectUnstaffedCounters } from '../../../hub/kpi/alerts/detect.js'
import { evaluateAlerts, type AlertSnapshot } from '../../../hub/kpi/alerts/state.js'
import { DEFAULT_ALERT_THRESHOLDS as T, EMPTY_ALERT_STATE, type Alert } from '../../../hub/kpi/alerts/types.js'
import { dutyIntervals, type DutyEvent } from '../../../hub/kpi/duty.js'
import type { TicketFact } from '../../../hub/kpi/facts.js'
import { readDoc, tableAfter } from '../../support/markdown.js'
import { MIN, ticket, vn } from './fixtures.js'

const SITE = 'ct-center'
const HOURS = openingHoursSchema.parse({ closed: ['2026-11-24'] })
const schedule = { kioskCounters: () => ['q01', 'q02'], hours: () => HOURS }
// Monday 23 November 2026: open 07:30–11:30 and 13:30–17:00.
const DAY = '2026-11-23'
const at = (hhmm: string, day = DAY) => vn(`${day}T${hhmm}`)
const sign = (hhmm: string, event: 'in' | 'out', counter: string, officer: string, day = DAY): DutyEvent => ({
  t: at(hhmm, day), site: SITE, counter, officer, event, reason: event === 'in' ? 'sign-in' : 'sign-out',
})
const unstaffed = (events: DutyEvent[], now: number) => detectUnstaffedCounters(dutyIntervals(events, now), [SITE], schedule, now, T.unstaffed)

describe('counter unstaffed during opening hours', () => {
  const morning = [sign('07:20', 'in', 'q01', 'cb-a'), sign('07:40', 'in', 'q02', 'cb-b'), sign('09:00', 'out', 'q02', 'cb-b')]

  it('a counter nobody is at since the last sign-out, raised once the grace is over; a staffed counter is not reported', () => {
    expect(unstaffed(morning, at('09:10'))).toEqual([
      { kind: 'counter_unstaffed', site: SITE, subject: `${SITE}/q02`, since: at('09:00'), raise: false, details: { unstaffedSince: at('09:00'), sessionEnd: at('11:30'), graceMin: 15 } },
    ])
    expect(unstaffed(morning, at('09:15'))).toMatchObject([{ subject: `${SITE}/q02`, since: at('09:00'), raise: true }])
  })

  it('a counter nobody signed in at all day is unstaffed since the session opened', () => {
    expect(unstaffed([sign('07:20', 'in', 'q01', 'cb-a')], at('07:44'))).toMatchObject([{ subject: `${SITE}/q02`, since: at('07:30'), raise: false }])
    expect(unstaffed([sign('07:20', 'in', 'q01', 'cb-a')], at('07:45'))).toMatchObject([{ subject: `${SITE}/q02`, since: at('07:30'), raise: true }])
  })

  it('nothing outside opening hours (lunch, evening), on a closed day, or at a counter without a kiosk', () => {
    expect(unstaffed(morning, at('12:00'))).toEqual([])
    expect(unstaffed(morning, at('17:30'))).toEqual([])
    expect(unstaffed([], at('09:00', '2026-11-24'))).toEqual([])
    expect(unstaffed([], at('09:00', '2026-11-22'))).toEqual([]) // Sunday
    expect(detectUnstaffedCounters([], [SITE], { ...schedule, kioskCounters: () => [] }, at('09:00'), T.unstaffed)).toEqual([])
  })

  it('the afternoon session starts its own stretch: a morning sign-out does not carry over lunch', () => {
    // q01's officer never signed out: still on duty after lunch.
    expect(unstaffed(morning, at('13:50'))).toMatchObject([{ subject: `${SITE}/q02`, since: at('13:30'), raise: true }])
  })

  it('an alert raised after the grace clears when someone signs in, and the same stretch keeps one id', () => {
    const snap = (events: DutyEvent[], now: number): AlertSnapshot => ({ ratings: [], cameras: [], edges: [], duty: { intervals: dutyIntervals(events, now), sites: [SITE], schedule } })
    const raised = evaluateAlerts(EMPTY_ALERT_STATE, snap(morning, at('09:20')), at('09:20'))
    expect(raised.raised.map((a) => [a.id, a.title.vi])).toEqual([[`counter_unstaffed:${SITE}/q02:${at('09:00')}`, 'Quầy không có cán bộ trong giờ tiếp dân']])
    const still = evaluateAlerts(raised.state, snap(morning, at('09:40')), at('09:40'))
    expect([still.raised, still.cleared]).toEqual([[], []])
    const back = [...morning, sign('09:45', 'in', 'q02', 'cb-c')]
    const cleared = evaluateAlerts(still.state, snap(back, at('09:50')), at('09:50'))
    expect(cleared.cleared.map((a) => [a.id, a.clearedAt])).toEqual([[`counter_unstaffed:${SITE}/q02:${at('09:00')}`, at('09:50')]])
  })

  it('a snapshot without duty leaves unstaffed alerts as they are', () => {
    const raised = evaluateAlerts(EMPTY_ALERT_STATE, { ratings: [], cameras: [], edges: [], duty: { intervals: dutyIntervals(morning, at('09:20')), sites: [SITE], schedule } }, at('09:20'))
    const later = evaluateAlerts(raised.state, { ratings: [], cameras: [], edges: [] }, at('09:30'))
    expect(later.cleared).toEqual([])
    expect(later.state.alerts.map((a: Alert) => a.clearedAt)).toEqual([null])
  })
})

describe('overload: long wait or long queue at a site', () => {
  const cfg = T.overload
  /** n tickets issued from `from`, one a minute, none called. */
  const issued = (n: number, from: string, site = SITE): TicketFact[] =>
    Array.from({ length: n }, (_, i) => ({ ...ticket(`${DAY}T${from}`, `A${String(i + 1).padStart(3, '0')}`, 'issued', { site }), t: at(from) + i * MIN }))

  it('the defaults: 60 minutes of waiting or 40 tickets waiting, kept open down to 80 %, a ticket left 4 hours is abandoned', () => {
    expect(cfg).toEqual({ waitMs: 60 * MIN, queueLength: 40, keepRatio: 0.8, abandonAfterMs: 240 * MIN })
  })

  it('raises on the queue length: since the ticket that made it 40', () => {
    const tickets = issued(40, '08:00')
    // 39 waiting: not raised, though within the keep ratio (an open alert would stay).
    expect(detectOverload(tickets.slice(0, 39), at('08:40'), cfg)).toMatchObject([{ raise: false, details: { waiting: 39 } }])
    expect(detectOverload(tickets, at('08:40'), cfg)).toEqual([
      { kind: 'overload', site: SITE, subject: SITE, since: at('08:39'), raise: true, details: { waiting: 40, longestWaitMin: 40, waitMin: 60, queueLength: 40 } },
    ])
  })

  it('raises on the longest wait: since the oldest waiting ticket reached 60 minutes; called and finished tickets are not waiting', () => {
    const tickets = [
      ...issued(3, '08:00'),
      ticket(`${DAY}T08:10`, 'A001', 'called'), ticket(`${DAY}T08:20`, 'A001', 'finished'),
    ]
    expect(detectOverload(tickets, at('08:59'), cfg)).toMatchObject([{ raise: false, details: { waiting: 2, longestWaitMin: 58 } }])
    expect(detectOverload(tickets, at('09:01'), cfg)).toMatchObject([{ since: at('09:01'), raise: true, details: { waiting: 2, longestWaitMin: 60 } }])
  })

  it('keeps an open alert while a measure is at 80 % of its threshold, and drops out below', () => {
    const tickets = [...issued(35, '08:00'), ...Array.from({ length: 3 }, (_, i) => ticket(`${DAY}T08:4${i}`, `A${String(i + 1).padStart(3, '0')}`, 'called'))]
    // 32 waiting (80 % of 40), the oldest (A004) 46 minutes: kept, not raised.
    expect(detectOverload(tickets, at('08:49'), cfg)).toMatchObject([{ raise: false, details: { waiting: 32 } }])
    const fewer = [...tickets, ...Array.from({ length: 2 }, (_, i) => ticket(`${DAY}T08:4${5 + i}`, `A00${4 + i}`, 'called'))]
    expect(detectOverload(fewer, at('08:47'), cfg)).toEqual([])
  })

  it('tickets of another day, or waiting longer than the abandon time, do not count', () => {
    const yesterday = issued(50, '08:00').map((t) => ({ ...t, t: t.t - 24 * 60 * MIN }))
    expect(detectOverload(yesterday, at('08:30'), cfg)).toEqual([])
    expect(detectOverload(issued(3, '07:00'), at('11:01'), cfg)).toMatchObject([{ details: { waiting: 2 } }])
    expect(detectOverload(issued(1, '07:00'), at('11:01'), cfg)).toEqual([])
  })

  it('one alert per site', () => {
    const both = [...issued(40, '08:00'), ...issued(40, '08:00', 'ct-ninh-kieu')]
    expect(detectOverload(both, at('08:45'), cfg).map((c) => c.subject).sort()).toEqual([SITE, 'ct-ninh-kieu'])
  })
})

describe('docs/alerts.md is in step with hub/config/alerts.ts', () => {
  const doc = readDoc('docs/alerts.md')
  const defaults = alertsConfigSchema.parse({})

  it('lists every threshold with its default, and the defaults are the detectors\' own', () => {
    const rows = Object.fromEntries(tableAfter(doc, '### Thresholds').map((r) => [r[0], Number(r[1])]))
    expect(rows).toEqual(defaults.thresholds)
    expect(alertThresholds(defaults.thresholds)).toEqual(T)
  })

  it('recipients have the console\'s roles', () => {
    expect([...RECIPIENT_ROLES]).toEqual([...ROLES])
  })

  it('lists the delivery settings with their defaults', () => {
    const rows = Object.fromEntries(tableAfter(doc, '### Delivery settings').map((r) => [r[0], r[1]]))
    const d = defaults.delivery
    expect(rows).toEqual({
      send: String(d.send), maxAgeMin: String(d.maxAgeMin),
      'limits.perSubjectMin': String(d.limits.perSubjectMin), 'limits.perRecipientPerHour': String(d.limits.perRecipientPerHour),
      'retry.maxAttempts': String(d.retry.maxAttempts), 'retry.firstDelayS': String(d.retry.firstDelayS), 'retry.maxDelayS': String(d.retry.maxDelayS),
    })
  })
})
