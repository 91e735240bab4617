/**
 * The simulated queue system (issue 16, devices/queue-sim). Pure: a demo
 * day of one hall, the queues driven by the simulator's own functions on a
 * clock of the test's, beside the rating boxes' `hall` rhythm, all judged in
 * time order by the edge's misuse filter as `npm start` would: realistic
 * waits that grow in the busy hours, tickets called ahead of honest presses,
 * so the "more presses than tickets" check is live and flags little. Live:
 * the simulator against a real aedes edge broker, its tickets stored as
 * `ticket` records in order, and a called ticket prompting the kiosk.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterEach, describe, expect, it } from 'vitest'
import { seededRandom } from '../../common/random.js'
import { arrivalGapMs, CounterQueue, firstNumber, QUEUE, serviceMs, ticketNumber } from '../../devices/queue-sim/behaviour.js'
import { startQueueSim, type QueueSim } from '../../devices/queue-sim/sim.js'
import { buildRating, HALL, nextPressDelays, pickLevel } from '../../devices/simulator/behaviour.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { MisuseFilter } from '../../edge/misuse/filter.js'
import type { NewRecord } from '../../edge/outbox/types.js'
import { TICKET_PATTERN } from '../../protocol/ids.js'
import { topics } from '../../protocol/topics.js'
import { DEMO_PRESSING } from '../../scripts/lib/demo-site.js'
import { waitFor } from '../../testkit/wait.js'
import { startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { testSite } from '../support/edge-site.js'

type Rating = Extract<NewRecord, { kind: 'rating' }>
type Ticket = Extract<NewRecord, { kind: 'ticket' }>
const T0 = Date.UTC(2026, 10, 23, 0, 30) // 07:30 in Cần Thơ, opening time
const COUNTERS = 12

interface Visit { counter: string; ticket: string; issuedAt: number; calledAt: number; finishedAt: number }

/** One counter's day of tickets, as startQueueSim schedules them, on the test's clock. */
function queueDay(counter: string, durationMs: number, random: () => number): { events: Ticket[]; visits: Visit[] } {
  const q = new CounterQueue(counter, 1)
  const events: Ticket[] = []
  const visits = new Map<string, Visit>()
  const ev = (t: number, ticket: string, event: Ticket['event']) =>
    events.push({ kind: 'ticket', department: 'tu-phap', counter, device: 'queue-main', eventId: `${counter}-${events.length}-x`, ticket, event, deviceTs: T0 + t, edgeTs: T0 + t })
  let nextArrival = arrivalGapMs(DEMO_PRESSING.ratePerMinute, 0, random)
  let finishAt = Infinity
  const issue = (t: number) => {
    const ticket = q.issue(t)
    visits.set(ticket, { counter, ticket, issuedAt: t, calledAt: NaN, finishedAt: NaN })
    ev(t, ticket, 'issued')
  }
  const call = (t: number) => {
    const c = q.callNext(t)
    if (!c) return
    visits.get(c.ticket)!.calledAt = t
    ev(t, c.ticket, 'called')
    finishAt = t + serviceMs(random)
  }
  for (let i = 0; i < QUEUE.openingQueue; i++) issue(0)
  call(0)
  for (let steps = 0; steps < 100_000; steps++) {
    const t = Math.min(nextArrival, finishAt)
    if (t >= durationMs) break
    if (t === finishAt) {
      const done = q.finish()!
      visits.get(done)!.finishedAt = t
      ev(t, done, 'finished')
      finishAt = Infinity
      call(t)
    } else {
      issue(t)
      call(t)
      nextArrival = t + arrivalGapMs(DEMO_PRESSING.ratePerMinute, t, random)
    }
  }
  return { events, visits: [...visits.values()] }
}

/** The rating boxes' presses over the same day (as tests/scripts/demo-rhythm.test.ts makes them). */
function pressDay(counter: string, durationMs: number, random: () => number): Rating[] {
  const out: Rating[] = []
  for (let t = 0; t < durationMs; ) {
    for (const delay of nextPressDelays(DEMO_PRESSING.mode, DEMO_PRESSING.ratePerMinute, random, t)) {
      t += delay
      if (t >= durationMs) break
      const level = pickLevel(4, random)
      out.push({
        kind: 'rating', department: 'tu-phap', counter, device: `button-${counter}`, officer: null, eventId: `${counter}-p${out.length}`,
        scale: 4, level, score: [100, 66.7, 33.3, 0][level - 1]!, dissatisfied: level === 4, reasons: [], ticket: null,
        deviceTs: T0 + t, edgeTs: T0 + t, misuse: null,
      })
    }
  }
  return out
}

function demoDay(seed: number) {
  const tickets: Ticket[] = []
  const visits: Visit[] = []
  const presses: Rating[] = []
  for (let c = 1; c <= COUNTERS; c++) {
    const counter = `q${String(c).padStart(2, '0')}`
    const day = queueDay(counter, HALL.dayMs, seededRandom(seed * 1000 + c))
    tickets.push(...day.events)
    visits.push(...day.visits)
    presses.push(...pressDay(counter, HALL.dayMs, seededRandom(seed * 100 + c)))
  }
  // Judged in time order, as the edge meets them; a ticket and a press at the same instant: the ticket first.
  const filter = new MisuseFilter(edgeConfigSchema.shape.misuse.parse(undefined))
  const all = [...tickets, ...presses].sort((a, b) => a.edgeTs - b.edgeTs || (a.kind === 'ticket' ? -1 : 1))
  const judged = all.flatMap((r) => {
    if (r.kind === 'ticket') return filter.noteTicket(r), []
    return [filter.judge(r as Rating, r.eventId).record]
  })
  return { tickets, visits, judged }
}

describe('the queue system the demo runs (pure)', () => {
  const { tickets, visits, judged } = demoDay(1)

  it('calls every counter\'s citizens one at a time, in order, each after a service, with numbers unique for the day', () => {
    expect(new Set(visits.map((v) => v.ticket)).size).toBe(visits.length)
    for (const v of visits) expect(v.ticket).toMatch(TICKET_PATTERN)
    for (let c = 1; c <= COUNTERS; c++) {
      const mine = visits.filter((v) => v.counter === `q${String(c).padStart(2, '0')}` && !Number.isNaN(v.calledAt))
      for (let i = 1; i < mine.length; i++) {
        // In order of their tickets, and the next call only once the previous citizen has left.
        expect(mine[i]!.issuedAt).toBeGreaterThanOrEqual(mine[i - 1]!.issuedAt)
        expect(mine[i]!.calledAt).toBeGreaterThanOrEqual(mine[i - 1]!.finishedAt)
      }
      for (const v of mine) if (!Number.isNaN(v.finishedAt)) expect(v.finishedAt - v.calledAt).toBeGreaterThanOrEqual(QUEUE.walkMs + QUEUE.serviceMinMs)
    }
    expect(tickets.filter((t) => t.event === 'finished').length).toBeGreaterThan(0.8 * visits.length)
  })

  it('makes citizens wait, more in the busy hours than at the quiet end of the day', () => {
    const called = visits.filter((v) => !Number.isNaN(v.calledAt))
    const hourMs = HALL.dayMs / HALL.hours.length
    const meanWait = (h: number) => {
      const inHour = called.filter((v) => Math.floor(v.issuedAt / hourMs) === h)
      return inHour.reduce((s, v) => s + v.calledAt - v.issuedAt, 0) / inHour.length
    }
    // 15× faster than real: a few seconds here are a few minutes in a hall.
    const mean = called.reduce((s, v) => s + v.calledAt - v.issuedAt, 0) / called.length
    expect(mean).toBeGreaterThan(2_000)
    expect(mean).toBeLessThan(120_000)
    const busiest = (HALL.hours as readonly number[]).indexOf(Math.max(...HALL.hours))
    expect(meanWait(busiest)).toBeGreaterThan(2 * meanWait(HALL.hours.length - 1))
  })

  it('keeps the tickets called ahead of the honest presses, so the ticket check is live and flags few presses', () => {
    for (let c = 1; c <= COUNTERS; c++) {
      const counter = `q${String(c).padStart(2, '0')}`
      const calls = tickets.filter((t) => t.counter === counter && t.event === 'called').length
      const pressed = judged.filter((r) => r.counter === counter && r.misuse === null).length
      expect(calls).toBeGreaterThan(pressed)
    }
    const share = (kind: string) => judged.filter((r) => r.misuse === kind).length / judged.length
    expect(share('excess')).toBeLessThan(0.015)
    // The rapid double presses of the hall are still the misuse the filter sees most.
    expect(share('rapid')).toBeGreaterThan(share('excess'))
    for (const seed of [2, 3]) {
      const other = demoDay(seed).judged
      expect(other.filter((r) => r.misuse === 'excess').length / other.length).toBeLessThan(0.015)
    }
  })

  it('leaves ticket numbers off the hall boxes\' presses: a box cannot know them, and a random one rated twice would be excess', () => {
    const random = seededRandom(5)
    let n = 0
    const presses = Array.from({ length: 200 }, () => buildRating({ scale: 4, reasons: [], ts: T0, nextId: () => `evt-hall-${n++}`, random, withTicket: false }))
    expect(presses.filter((p) => p.ticket !== undefined)).toEqual([])
  })

  it('numbers tickets per counter, continuing past today\'s numbers after a restart', () => {
    expect(ticketNumber('q03', 42)).toBe('Q03-0042')
    expect(firstNumber(T0)).toBe(1 + (7.5 * 3600) / 4)
    expect(firstNumber(T0 + 60_000)).toBeGreaterThan(firstNumber(T0))
  })
})

describe('the queue simulator on a real edge broker', () => {
  let edge: BrokerHarness | undefined
  let sim: QueueSim | undefined
  afterEach(async () => {
    await sim?.stop()
    await edge?.close()
  })

  it('publishes each ticket issued, called and finished in order as ticket records, and a call prompts the kiosk', async () => {
    const { config, devices } = testSite()
    edge = await startTestBroker(config)
    const kiosk = await edge.connect(devices.k1!)
    const prompts: string[] = []
    kiosk.on('message', (topic, payload) => {
      if (topic.endsWith('/prompt')) prompts.push((JSON.parse(payload.toString()) as { ticket: string }).ticket)
    })
    await kiosk.subscribeAsync(topics.downAll('ct-center', 'q1', devices.k1!.id), { qos: 1 })
    sim = startQueueSim({
      url: `mqtt://127.0.0.1:${edge.broker.ports.mqtt}`, site: 'ct-center', device: { id: devices.queue!.id, secret: devices.queue!.secret },
      counters: ['q1', 'q2'], ratePerMinute: 6, random: seededRandom(7), openingQueue: 2,
    })
    // Two citizens wait at each counter at the start: the first one's service ends after about ten seconds.
    const stored = () => edge!.outbox.ofKind('ticket')
    await waitFor('a finished ticket at each counter', () => ['q1', 'q2'].every((c) => stored().some((t) => t.counter === c && t.event === 'finished')), { timeoutMs: 60_000 })
    const s = sim.stats()
    expect(s.connected).toBe(true)
    expect(s.acked).toBeGreaterThanOrEqual(6)
    for (const counter of ['q1', 'q2']) {
      const mine = stored().filter((t) => t.counter === counter)
      const first = mine[0]!.ticket
      expect(mine.filter((t) => t.ticket === first).map((t) => t.event)).toEqual(['issued', 'called', 'finished'])
      for (const t of mine) expect(t).toMatchObject({ device: devices.queue!.id, department: counter === 'q1' ? 'justice' : 'health' })
    }
    await waitFor('the kiosk prompted', () => prompts.length > 0)
    const calledAtQ1 = stored().filter((t) => t.counter === 'q1' && t.event === 'called').map((t) => t.ticket)
    expect(prompts).toEqual(calledAtQ1.slice(0, prompts.length))
    const final = await sim.stop({ drainMs: 5000 })
    sim = undefined
    expect(final.acked).toBe(final.issued + final.called + final.finished)
    expect(edge.outbox.ofKind('device_status').filter((d) => d.device === devices.queue!.id).map((d) => d.online)).toEqual([true, false])
  }, 90_000)
})
