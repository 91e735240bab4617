/**
 * The misuse filter on the real edge → hub → influxd: the simulator's rapid
 * presses and stuck button land flagged, the hub's KPI function leaves them
 * out of the score, the stuck button raises its retained alert; and the
 * end-of-day timer puts the counter's configured officer back on duty.
 */
process.env.LOG_LEVEL ??= 'silent'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCounterSim, type SimDevice } from '../../devices/simulator/sim.js'
import { ratingKpis } from '../../hub/kpi/ratings.js'
import type { RatingFact } from '../../hub/kpi/facts.js'
import type { DeviceAlertMessage, DeviceConfigMessage } from '../../protocol/messages.js'
import type { MisuseKind } from '../../protocol/records.js'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'
import { waitFor } from '../../testkit/wait.js'
import { startRatingStack, type RatingStack } from './rating-stack.js'

const SITE = 'ct-center'
let stack: RatingStack
const site = testSite({ broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0, allowAnonymous: true } })
const midnight: (() => void)[] = []

beforeAll(async () => {
  stack = await startRatingStack(site.config, 'motcua_misuse_e2e', {}, {
    timers: { now: Date.now, setTimeout: (fn) => midnight.push(fn), clearTimeout: () => undefined },
  })
}, 60_000)
afterAll(async () => {
  await stack?.close()
})

const asSim = (key: 'b1' | 'k2'): SimDevice => {
  const d = site.devices[key]!
  return { id: d.id, counter: d.counter!, secret: d.secret, kind: d.kind as SimDevice['kind'] }
}

const fact = (r: Record<string, unknown>): RatingFact => ({
  t: Date.parse(r.time as string),
  province: 'ct',
  branch: null,
  site: SITE,
  department: r.department as string,
  counter: r.counter as string,
  officer: r.officer === 'none' ? null : (r.officer as string),
  scale: Number(r.scale) as 4,
  level: Number(r.level),
  score: r.score as number,
  dissatisfied: r.dissatisfied as boolean,
  misuse: r.misuse === '' ? null : (r.misuse as MisuseKind),
  ticket: r.ticket === '' ? null : (r.ticket as string),
})

describe('misuse filter on the real edge', () => {
  it('flags rapid presses and a stuck button, keeps them, leaves them out of the KPI, and raises the alert', async () => {
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.edge.ports.mqtt}`, { reconnectPeriod: 0 })
    const alerts: { topic: string; body: DeviceAlertMessage }[] = []
    watcher.on('message', (topic, payload) => alerts.push({ topic, body: JSON.parse(payload.toString()) as DeviceAlertMessage }))
    await watcher.subscribeAsync(`motcua/v1/${SITE}/+/alert/+`, { qos: 1 })
    try {
      const url = `mqtt://127.0.0.1:${stack.edge.ports.mqtt}`
      const rapid = startCounterSim({ url, site: SITE, devices: [asSim('b1')], mode: 'rapid', ratePerMinute: 12, maxPresses: 16, seed: 4 })
      const stuck = startCounterSim({ url, site: SITE, devices: [asSim('k2')], mode: 'stuck', maxPresses: 8, seed: 5 })
      const [r, s] = await Promise.all([rapid.done, stuck.done])
      expect([r.acked, s.acked]).toEqual([16, 8])
      const rows = await stack.waitRows('SELECT * FROM rating', (x) => x.length >= 24)
      expect(rows).toHaveLength(24)

      // Rapid: flagged exactly when the box pressed again within 5 s on its own clock.
      const q1 = rows.filter((x) => x.counter === 'q1').sort((a, b) => (a.device_ts as number) - (b.device_ts as number))
      const gaps = q1.map((x, i) => (i === 0 ? Infinity : (x.device_ts as number) - (q1[i - 1]!.device_ts as number)))
      expect(q1.map((x) => x.misuse !== '')).toEqual(gaps.map((g) => g < 5000))
      expect(q1.filter((x) => x.misuse === 'rapid').length).toBeGreaterThan(3)
      expect(q1.some((x) => x.misuse === '')).toBe(true)

      // Stuck: the same level every ~100 ms; from the 5th repeat on it is a stuck button.
      const q2 = rows.filter((x) => x.counter === 'q2').sort((a, b) => (a.device_ts as number) - (b.device_ts as number))
      expect(new Set(q2.map((x) => x.level)).size).toBe(1)
      expect(q2.map((x) => x.misuse)).toEqual(['', 'rapid', 'rapid', 'rapid', 'stuck', 'stuck', 'stuck', 'stuck'])

      await waitFor('the stuck alert', () => alerts.length > 0)
      expect(alerts).toEqual([
        { topic: topics.alert(SITE, 'q2', 'kiosk-2'), body: expect.objectContaining({ v: 1, alert: 'stuck', active: true, level: Number(q2[0]!.level), repeats: 5 }) },
      ])

      // The hub's KPI over the stored points: flagged presses counted as misuse, not in the score.
      const facts = rows.map(fact)
      const honest = facts.filter((f) => f.misuse === null)
      const kpi = ratingKpis(facts)
      expect(kpi.presses).toBe(24)
      expect(kpi.counted).toBe(honest.length)
      expect(kpi.misuse).toBe(24 - honest.length)
      expect(kpi.misuseByKind.stuck).toBe(4)
      expect(kpi.satisfactionIndex).toBeCloseTo(honest.reduce((a, f) => a + f.score, 0) / honest.length, 6)

      const metrics = await (await fetch(`http://127.0.0.1:${stack.edge.ports.http}/metrics`)).text()
      expect(metrics).toContain('motcua_edge_stuck_devices 1')
      expect(metrics).toContain('motcua_edge_misuse_total{kind="stuck",counter="q2",officer="tran-thi-b"} 4')
    } finally {
      await watcher.endAsync()
    }
  })

  it('at local midnight the counter goes back to its configured officer and the kiosk gets its config again', async () => {
    expect(stack.edge.duty.setOfficer('q1', 'le-van-c')).toBe(true)
    const k1 = site.devices.k1!
    const kiosk = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.edge.ports.mqtt}`, { clientId: k1.id, username: k1.id, password: k1.secret, reconnectPeriod: 0 })
    try {
      const configs: DeviceConfigMessage[] = []
      kiosk.on('message', (_t, payload) => configs.push(JSON.parse(payload.toString()) as DeviceConfigMessage))
      await kiosk.subscribeAsync(topics.down(SITE, 'q1', k1.id, 'config'), { qos: 1 })
      await waitFor('the retained config', () => configs.length > 0)
      expect(configs.map((c) => c.officer?.id)).toEqual(['le-van-c'])
      expect(midnight).toHaveLength(1)
      midnight.shift()!()
      await waitFor('the config after midnight', () => configs.length > 1)
      expect(configs.map((c) => c.officer?.id)).toEqual(['le-van-c', 'nguyen-van-a'])
      expect(stack.edge.duty.officerAt('q1')).toBe('nguyen-van-a')
      // The next midnight is armed again.
      expect(midnight).toHaveLength(1)
    } finally {
      await kiosk.endAsync()
    }
  })

  it('a called ticket prompts the counter\'s kiosk once, even when the queue system resends it', async () => {
    const k1 = site.devices.k1!
    const q = site.devices.queue!
    const url = `mqtt://127.0.0.1:${stack.edge.ports.mqtt}`
    const kiosk = await mqtt.connectAsync(url, { clientId: k1.id, username: k1.id, password: k1.secret, reconnectPeriod: 0 })
    const queue = await mqtt.connectAsync(url, { clientId: q.id, username: q.id, password: q.secret, reconnectPeriod: 0 })
    try {
      const prompts: unknown[] = []
      kiosk.on('message', (_t, payload) => prompts.push(JSON.parse(payload.toString())))
      await kiosk.subscribeAsync(topics.down(SITE, 'q1', k1.id, 'prompt'), { qos: 1 })
      const called = JSON.stringify({ v: 1, id: 'tk-b42-called', ts: Date.now(), ticket: 'B42', event: 'called' })
      await queue.publishAsync(topics.ticket(SITE, 'q1'), called, { qos: 1 })
      await queue.publishAsync(topics.ticket(SITE, 'q1'), called, { qos: 1 })
      await queue.publishAsync(topics.ticket(SITE, 'q1'), JSON.stringify({ v: 1, id: 'tk-b42-done', ts: Date.now(), ticket: 'B42', event: 'finished' }), { qos: 1 })
      await waitFor('the prompt', () => prompts.length > 0)
      // Deliberately lets time pass: a second prompt for the resent ticket would arrive in it.
      await new Promise((res) => setTimeout(res, 500))
      expect(prompts).toEqual([{ v: 1, ticket: 'B42', ts: expect.any(Number) }])
      const tickets = await stack.waitRows("SELECT * FROM ticket WHERE ticket = 'B42'", (r) => r.length >= 2)
      expect(tickets.map((t) => t.event).sort()).toEqual(['called', 'finished'])
    } finally {
      await kiosk.endAsync()
      await queue.endAsync()
    }
  })
})
