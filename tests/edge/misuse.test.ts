/** The misuse filter's rules and state, and the end-of-day reset; pure, with hand-made presses. */
import { describe, expect, it } from 'vitest'
import { MisuseFilter } from '../../edge/misuse/filter.js'
import { msUntilLocalMidnight, resetDuty, scheduleEndOfDay } from '../../edge/ingest/end-of-day.js'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { buildSiteIndex } from '../../edge/ingest/site.js'
import { promptsFor } from '../../edge/broker/prompts.js'
import { checkPublish } from '../../edge/ingest/acl.js'
import { parseTopic, topics } from '../../protocol/topics.js'
import type { NewRecord } from '../../edge/outbox/types.js'
import { testSite } from '../support/edge-site.js'

type Rating = Extract<NewRecord, { kind: 'rating' }>
const SETTINGS = { rapidWindowS: 5, stuckRepeats: 4, stuckWindowS: 2, excessAllowance: 0 }
// 09:00 in Hà Nội.
const T0 = Date.UTC(2026, 10, 23, 2, 0)

let n = 0
function press(t: number, o: Partial<Rating> = {}): Rating {
  return {
    kind: 'rating', department: 'justice', counter: 'q1', device: 'button-1', officer: 'nguyen-van-a', eventId: `ev-${n++}`,
    scale: 4, level: 2, score: 67, dissatisfied: false, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse: null, ...o,
  }
}
const called = (t: number, ticket: string, counter = 'q1'): Extract<NewRecord, { kind: 'ticket' }> => ({
  kind: 'ticket', department: 'justice', counter, device: 'queue-1', eventId: `tk-${n++}`, ticket, event: 'called', deviceTs: t, edgeTs: t,
})

describe('misuse filter', () => {
  it('remembers the verdicts of the last 10,000 events, forgetting the oldest first', () => {
    const f = new MisuseFilter(SETTINGS)
    // The first press is honest, everything after it within seconds is rapid.
    const first = f.judge(press(T0, { level: 1 }), 'button-1:first')
    expect(first.record.misuse).toBeNull()
    for (let i = 1; i <= 9_999; i++) f.judge(press(T0 + i), `button-1:k${i}`)
    // Still remembered: a resend gets its first verdict back, not a fresh "rapid".
    expect(f.judge(press(T0 + 20_000, { level: 1 }), 'button-1:first').record.misuse).toBeNull()
    f.judge(press(T0 + 20_001), 'button-1:k10000')
    // The 10,001st event pushed the first out; now it is judged afresh.
    expect(f.judge(press(T0 + 20_002, { level: 1 }), 'button-1:first').record.misuse).toBe('rapid')
    // k10000 came 10 s after k9999 and was honest; its resend 1 ms after "first" keeps that verdict.
    expect(f.judge(press(T0 + 20_003), 'button-1:k10000').record.misuse).toBeNull()
    // Judging "first" afresh pushed out k1 (rapid when it came): its resend 40 s later is judged honest.
    expect(f.judge(press(T0 + 60_000), 'button-1:k1').record.misuse).toBeNull()
    // k2 is still remembered as rapid.
    expect(f.judge(press(T0 + 60_001), 'button-1:k2').record.misuse).toBe('rapid')
  })

  it('flags a press within the window after the previous one at the counter, on the device clock for one device', () => {
    const f = new MisuseFilter(SETTINGS)
    expect(f.judge(press(T0, { level: 1 }), null).record.misuse).toBeNull()
    expect(f.judge(press(T0 + 4_999, { level: 3 }), null).record.misuse).toBe('rapid')
    expect(f.judge(press(T0 + 10_000, { level: 1 }), null).record.misuse).toBeNull()
    // Replayed after an outage: received together, but pressed a minute apart on the device.
    expect(f.judge(press(T0 + 70_000, { edgeTs: T0 + 200_000, level: 2 }), null).record.misuse).toBeNull()
    expect(f.judge(press(T0 + 130_000, { edgeTs: T0 + 200_001, level: 3 }), null).record.misuse).toBeNull()
    // Another device at the counter: edge clock.
    expect(f.judge(press(0, { device: 'kiosk-1', edgeTs: T0 + 201_000 }), null).record.misuse).toBe('rapid')
    expect(f.judge(press(T0, { counter: 'q2', device: 'kiosk-2', edgeTs: T0 + 201_000 }), null).record.misuse).toBeNull()
  })

  it('flags a stuck button from the Nth same-level repeat, raises the alert once and clears it', () => {
    const f = new MisuseFilter(SETTINGS)
    const verdicts = [0, 100, 200, 300, 400].map((dt) => f.judge(press(T0 + dt, { level: 1 }), null))
    expect(verdicts.map((v) => v.record.misuse)).toEqual([null, 'rapid', 'rapid', 'stuck', 'stuck'])
    expect(verdicts.map((v) => v.alert?.active ?? null)).toEqual([null, null, null, true, null])
    expect(verdicts[3]!.alert).toEqual({ counter: 'q1', device: 'button-1', active: true, level: 1, repeats: 4 })
    expect(f.stats.stuck).toEqual(new Set(['button-1']))
    const next = f.judge(press(T0 + 60_000, { level: 1 }), null)
    expect(next.record.misuse).toBeNull()
    expect(next.alert).toMatchObject({ active: false })
    expect(f.stats.stuck.size).toBe(0)
    expect(f.stats.flagged.get('stuck|q1|nguyen-van-a')).toBe(2)
    expect(f.stats.flagged.get('rapid|q1|nguyen-van-a')).toBe(2)
  })

  it('once tickets are called to a counter today, presses beyond them and second ratings of a ticket are excess', () => {
    const f = new MisuseFilter({ ...SETTINGS, rapidWindowS: 0 })
    // No queue feed yet: nothing to compare with.
    expect(f.judge(press(T0), null).record.misuse).toBeNull()
    f.noteTicket(called(T0 + 1000, 'A101'))
    expect(f.judge(press(T0 + 60_000, { ticket: 'A101' }), null).record.misuse).toBeNull()
    expect(f.judge(press(T0 + 120_000, { ticket: 'A101' }), null).record.misuse).toBe('excess')
    f.noteTicket(called(T0 + 130_000, 'A102'))
    expect(f.judge(press(T0 + 140_000), null).record.misuse).toBeNull()
    expect(f.judge(press(T0 + 150_000, { level: 1 }), null).record.misuse).toBe('excess')
    // 17:00 UTC is local midnight: a new day starts without a queue feed.
    const tomorrow = Date.UTC(2026, 10, 23, 17, 0)
    expect(f.judge(press(tomorrow), null).record.misuse).toBeNull()
    expect(new MisuseFilter({ ...SETTINGS, rapidWindowS: 0, excessAllowance: 1 }).judge(press(T0 + 1), null).record.misuse).toBeNull()
  })

  it('gives a resent event the verdict it had, without counting it again', () => {
    const f = new MisuseFilter(SETTINGS)
    const first = press(T0)
    expect(f.judge(first, 'button-1:a').record.misuse).toBeNull()
    const second = press(T0 + 1000)
    expect(f.judge(second, 'button-1:b').record.misuse).toBe('rapid')
    // The same events again, later: same verdicts, and the counter's state is untouched.
    expect(f.judge({ ...first, edgeTs: T0 + 30_000 }, 'button-1:a').record.misuse).toBeNull()
    expect(f.judge({ ...second, edgeTs: T0 + 30_001 }, 'button-1:b').record.misuse).toBe('rapid')
    expect(f.stats.flagged.get('rapid|q1|nguyen-van-a')).toBe(1)
    expect(f.judge(press(T0 + 7000), 'button-1:c').record.misuse).toBeNull()
  })

  it('counts best-level presses without a ticket per counter and officer', () => {
    const f = new MisuseFilter(SETTINGS)
    f.judge(press(T0, { level: 1, officer: null }), null)
    f.judge(press(T0 + 10_000, { level: 1, ticket: 'A1' }), null)
    f.judge(press(T0 + 20_000, { level: 1 }), null)
    f.judge(press(T0 + 30_000, { level: 4 }), null)
    f.judge(press(T0 + 40_000, { level: 4, scale: 4 }), null)
    expect(Object.fromEntries(f.stats.bestWithoutTicket)).toEqual({ 'q1|': 1, 'q1|nguyen-van-a': 1 })
  })

  it('counts flags under the officer on duty at each press, across a change of officer and back', () => {
    const f = new MisuseFilter(SETTINGS)
    const officers = ['nguyen-van-a', null, 'nguyen-van-a', 'le-van-c', 'le-van-c']
    officers.forEach((officer, i) => f.judge(press(T0 + i * 1000, { level: 2, officer }), null))
    // The first press has no previous one; the next two follow within the rapid window; from the fourth the same level is a stuck run.
    expect(Object.fromEntries(f.stats.flagged)).toEqual({ 'rapid|q1|': 1, 'rapid|q1|nguyen-van-a': 1, 'stuck|q1|le-van-c': 2 })
  })
})

describe('ticket prompts', () => {
  it('prompt each kiosk of the counter a ticket is called to, and nothing for other events', () => {
    const site = buildSiteIndex(testSite().config)
    expect(promptsFor(site, called(T0, 'B007'))).toEqual([
      { topic: 'motcua/v1/ct-center/q1/down/kiosk-1/prompt', body: { v: 1, ticket: 'B007', ts: T0 } },
    ])
    expect(promptsFor(site, { ...called(T0, 'B007'), event: 'issued' })).toEqual([])
    expect(promptsFor(site, called(T0, 'B008', 'q3'))).toEqual([])
  })

  it('alert topics are the edge\'s own: no device may publish one', () => {
    const site = buildSiteIndex(testSite().config)
    const parsed = parseTopic(topics.alert('ct-center', 'q1', 'button-1'))
    expect(parsed).toEqual({ kind: 'alert', site: 'ct-center', counter: 'q1', device: 'button-1' })
    for (const device of site.devices.values()) expect(checkPublish(parsed!, device, site)?.code).toBe('EDGE_TOPIC_FORBIDDEN')
  })
})

describe('end of day', () => {
  it('counts to the next local midnight (UTC+7)', () => {
    expect(msUntilLocalMidnight(Date.UTC(2026, 10, 23, 16, 59, 59))).toBe(1000)
    expect(msUntilLocalMidnight(Date.UTC(2026, 10, 23, 17, 0))).toBe(86_400_000)
    expect(msUntilLocalMidnight(Date.UTC(2026, 10, 23, 2, 0))).toBe(15 * 3_600_000)
  })

  it('puts each counter back to its configured officer at midnight, every midnight, until stopped', () => {
    const site = buildSiteIndex(testSite().config)
    const duty = new DutyRoster(site)
    const changes: [string, string | null][] = []
    duty.onChange((c, o) => changes.push([c, o]))
    let now = Date.UTC(2026, 10, 23, 10, 0)
    const pending: { fn: () => void; ms: number }[] = []
    const stop = scheduleEndOfDay(site, duty, { now: () => now, setTimeout: (fn, ms) => pending.push({ fn, ms }), clearTimeout: () => pending.splice(0) })
    expect(pending.map((p) => p.ms)).toEqual([7 * 3_600_000])
    duty.setOfficer('q1', 'tran-thi-b')
    duty.setOfficer('q3', 'le-van-c')
    now += 7 * 3_600_000
    pending.shift()!.fn()
    expect(duty.officerAt('q1')).toBe('nguyen-van-a')
    expect(duty.officerAt('q3')).toBeNull()
    expect(changes).toEqual([['q1', 'tran-thi-b'], ['q3', 'le-van-c'], ['q1', 'nguyen-van-a'], ['q3', null]])
    expect(pending.map((p) => p.ms)).toEqual([86_400_000])
    stop()
    expect(pending).toHaveLength(0)
    resetDuty(site, duty)
    expect(changes).toHaveLength(4)
  })
})
