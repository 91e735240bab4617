process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { heartbeatMessage, isPlausibleDeviceTime, ratingMessage, statusMessage, type RatingMessage } from '../../protocol/messages.js'
import { parseTopic, topics } from '../../protocol/topics.js'
import { startCounterSim, type CounterSimOptions, type SimDevice } from '../../devices/simulator/sim.js'
import { waitFor } from '../../testkit/wait.js'
import { startTestBroker, type Received, type TestBroker } from './simulator-broker.js'

const SITE = 'test-site'
const dev = (id: string, counter: string, kind: SimDevice['kind'] = 'button'): SimDevice => ({ id, counter, kind, secret: `s3cret-${id}` })
const DEVICES = [dev('btn-a', 'q01'), dev('btn-b', 'q02'), dev('kiosk-c', 'q03', 'kiosk'), dev('btn-d', 'q04'), dev('btn-e', 'q05')]

let broker: TestBroker

beforeAll(async () => {
  broker = await startTestBroker(Object.fromEntries(DEVICES.map((d) => [d.id, d.secret])))
})
afterAll(async () => {
  await broker?.close()
})

/** Ratings the broker accepted from one device, in arrival order. */
function ratingsFrom(deviceId: string): { r: Received; m: RatingMessage }[] {
  return broker.received
    .filter((r) => r.clientId === deviceId && parseTopic(r.topic)?.kind === 'rating')
    .map((r) => ({ r, m: ratingMessage.parse(JSON.parse(r.payload)) }))
}

function run(o: Partial<CounterSimOptions> & Pick<CounterSimOptions, 'devices'>) {
  return startCounterSim({ url: broker.mqttUrl, site: SITE, seed: 42, ...o })
}

/** Reads the retained message on a topic with a fresh subscriber, as the edge would after a restart. */
async function retained(topic: string): Promise<unknown> {
  const client = await mqtt.connectAsync(broker.mqttUrl, { username: 'btn-e', password: 's3cret-btn-e', clientId: `probe-${Math.random()}`, reconnectPeriod: 0 })
  try {
    let got: { body: unknown } | undefined
    client.on('message', (t, payload, packet) => {
      if (t === topic && packet.retain) got ??= { body: JSON.parse(payload.toString('utf8')) }
    })
    await client.subscribeAsync(topic, { qos: 1 })
    return (await waitFor(`the retained message on ${topic}`, () => got)).body
  } finally {
    await client.endAsync()
  }
}

describe('counter simulator against a real aedes broker', () => {
  it('sends schema-valid QoS 1 ratings with unique ids, all acknowledged, and stops by itself after maxPresses', async () => {
    const devices = DEVICES.slice(0, 3)
    const sim = run({ devices, ratePerMinute: 600, maxPresses: 30, heartbeatMs: 100 })
    const final = await sim.done
    expect(final.running).toBe(false)
    expect(final.sent).toBe(30)
    expect(final.pending).toBe(0)

    const seen: string[] = []
    for (const d of devices) {
      const got = ratingsFrom(d.id)
      for (const { r } of got) {
        expect(r.qos).toBe(1)
        expect(r.topic).toBe(topics.rating(SITE, d.counter))
      }
      seen.push(...got.map(({ m }) => m.id))
    }
    // No reconnects here, so each press reached the broker exactly once.
    expect(seen).toHaveLength(30)
    expect(new Set(seen).size).toBe(30)
    expect(sim.acked()).toEqual(new Set(seen))
    expect(sim.sent()).toEqual(new Set(seen))
    expect(final.heartbeats).toBeGreaterThan(0)

    const beats = broker.received.filter((r) => r.clientId === 'btn-a' && parseTopic(r.topic)?.kind === 'heartbeat')
    expect(beats.length).toBeGreaterThan(0)
    for (const b of beats) {
      expect(b.qos).toBe(0)
      expect(heartbeatMessage.safeParse(JSON.parse(b.payload)).success).toBe(true)
    }
    const statuses = broker.received.filter((r) => r.clientId === 'kiosk-c' && parseTopic(r.topic)?.kind === 'status')
    expect(statuses.map((s) => [s.retain, s.qos, statusMessage.parse(JSON.parse(s.payload)).online])).toEqual([
      [true, 1, true],
      [true, 1, false],
    ])
    expect(await retained(topics.status(SITE, 'q03', 'kiosk-c'))).toEqual({ v: 1, online: false, kind: 'kiosk' })

    // docs/button-box.md: stable client id, persistent session, 30 s keepalive, retained offline last-will.
    const connect = broker.connects.find((c) => c.username === 'btn-a')
    expect(connect).toMatchObject({ clientId: 'btn-a', clean: false, keepalive: 30, protocolVersion: 4 })
    expect(connect?.will).toMatchObject({ topic: topics.status(SITE, 'q01', 'btn-a'), qos: 1, retain: true })
    expect(JSON.parse(Buffer.from(connect?.will?.payload ?? '').toString('utf8'))).toEqual({ v: 1, online: false })
  })

  it('works over WebSocket too', async () => {
    const sim = startCounterSim({ url: broker.wsUrl, site: SITE, devices: [dev('btn-d', 'q04')], ratePerMinute: 600, maxPresses: 5 })
    const final = await sim.done
    expect(final.acked).toBe(5)
    const ids = ratingsFrom('btn-d').map(({ m }) => m.id)
    expect(new Set(ids)).toEqual(sim.acked())
  })

  it('leaves a retained offline last-will when a box loses power', async () => {
    const d = dev('btn-e', 'q05')
    const topic = topics.status(SITE, d.counter, d.id)
    const sim = run({ devices: [d], ratePerMinute: 1 })
    await waitFor('box online', () => sim.stats().connects === 1)
    await waitFor('retained online', () => broker.received.some((r) => r.topic === topic && r.retain))
    expect(await retained(topic)).toEqual({ v: 1, online: true, kind: 'button', fw: 'motcua-sim/1' })
    const mark = broker.received.length
    sim.kill(d.id)
    // aedes passes the last-will through authorizePublish on the dead client's behalf.
    await waitFor('last-will', () => broker.received.slice(mark).some((r) => r.topic === topic && r.retain && r.payload === '{"v":1,"online":false}'))
    expect(await retained(topic)).toEqual({ v: 1, online: false })
    await sim.stop()
  })

  it('stuck mode repeats one level about every 100 ms', async () => {
    const sim = run({ devices: [dev('btn-a', 'q01')], mode: 'stuck', maxPresses: 12, drainMs: 2000 })
    const before = ratingsFrom('btn-a').length
    await sim.done
    const got = ratingsFrom('btn-a').slice(before)
    expect(got).toHaveLength(12)
    expect(new Set(got.map(({ m }) => m.level)).size).toBe(1)
    // The schedule (90–110 ms) is unit-tested in simulator-behaviour.test.ts; here: never faster than it.
    // A busy machine only stretches the gaps, so there is no upper bound.
    const gaps = got.slice(1).map(({ m }, i) => m.ts - (got[i]?.m.ts ?? 0))
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(85)
  })

  it('rapid mode sends bursts of presses within a second', async () => {
    const sim = run({ devices: [dev('btn-b', 'q02')], mode: 'rapid', ratePerMinute: 60, maxPresses: 12 })
    const before = ratingsFrom('btn-b').length
    await sim.done
    const ts = ratingsFrom('btn-b').slice(before).map(({ m }) => m.ts)
    expect(ts).toHaveLength(12)
    // Some window of one second holds at least three presses; a calm citizen never does that.
    const dense = ts.some((t, i) => (ts[i + 2] ?? Infinity) - t < 1000)
    expect(dense).toBe(true)
  })

  it('duplicate mode resends acknowledged presses with the same id and payload', async () => {
    const sim = run({ devices: [dev('kiosk-c', 'q03', 'kiosk')], mode: 'duplicate', duplicateRatio: 1, ratePerMinute: 120, maxPresses: 8 })
    const before = ratingsFrom('kiosk-c').length
    const final = await sim.done
    const got = ratingsFrom('kiosk-c').slice(before)
    const resent = sim.resent()
    expect(resent.size).toBeGreaterThanOrEqual(4)
    expect(final.duplicatesSent).toBe(resent.size)
    for (const id of resent) {
      expect(sim.acked().has(id)).toBe(true)
      const copies = got.filter(({ m }) => m.id === id).map(({ r }) => r.payload)
      expect(copies).toHaveLength(2)
      expect(copies[0]).toBe(copies[1])
    }
    expect(got).toHaveLength(8 + resent.size)
  })

  it('reconnect-storm mode drops the link often and still gets every press acknowledged', async () => {
    const before = ratingsFrom('btn-d').length
    const sim = run({ devices: [dev('btn-d', 'q04')], mode: 'reconnect-storm', stormIntervalMs: 250, ratePerMinute: 600 })
    // The storm runs until the box has come back twice with presses in between, however long that takes here.
    await waitFor('three connections and six presses through the storm', () => sim.stats().connects >= 3 && sim.stats().sent > 5)
    const final = await sim.stop({ drainMs: 8000 })
    expect(final.pending).toBe(0)
    const ids = new Set(ratingsFrom('btn-d').slice(before).map(({ m }) => m.id))
    expect(ids).toEqual(sim.acked())
  })

  it('clock-off mode stamps presses years away from the real time', async () => {
    const sim = run({ devices: [dev('btn-a', 'q01')], mode: 'clock-off', ratePerMinute: 600, maxPresses: 3 })
    const before = ratingsFrom('btn-a').length
    await sim.done
    for (const { m } of ratingsFrom('btn-a').slice(before)) {
      const yearsOff = (Date.now() - m.ts) / (365.25 * 24 * 3600 * 1000)
      expect(yearsOff).toBeGreaterThan(4.9)
      expect(yearsOff).toBeLessThan(5.1)
    }
    const unset = run({ devices: [dev('btn-a', 'q01')], mode: 'clock-off', clockOffsetMs: -Date.now(), ratePerMinute: 600, maxPresses: 2 })
    const mark = ratingsFrom('btn-a').length
    await unset.done
    const late = ratingsFrom('btn-a').slice(mark)
    expect(late).toHaveLength(2)
    for (const { m } of late) expect(isPlausibleDeviceTime(m.ts)).toBe(false)
  })

  it('stops by itself after durationMs even when the broker refuses the box', async () => {
    const sim = run({ devices: [{ ...dev('btn-b', 'q02'), secret: 'wrong' }], ratePerMinute: 600, durationMs: 600, drainMs: 300 })
    // Without durationMs it would press forever: done resolving at all is the behaviour.
    let stopped = false
    const done = sim.done.then((final) => {
      stopped = true
      return final
    })
    await waitFor('the simulator to stop by itself', () => stopped)
    const final = await done
    expect(final.connects).toBe(0)
    expect(final.acked).toBe(0)
    expect(final.sent).toBeGreaterThan(0)
    expect(final.pending).toBe(final.sent)
  })

  it('publishes a press again, same id, when its PUBACK is late', async () => {
    const d = dev('btn-late', 'q06')
    let held = false
    const slow = await startTestBroker({ [d.id]: d.secret }, (r) => {
      if (held || parseTopic(r.topic)?.kind !== 'rating') return 0
      held = true
      return 1500
    })
    try {
      const sim = startCounterSim({ url: slow.mqttUrl, site: SITE, devices: [d], ratePerMinute: 600, maxPresses: 3, resendAfterMs: 300, seed: 1 })
      const final = await sim.done
      expect(final.pending).toBe(0)
      expect(final.retries).toBeGreaterThanOrEqual(1)
      const ids = slow.received.filter((r) => parseTopic(r.topic)?.kind === 'rating').map((r) => ratingMessage.parse(JSON.parse(r.payload)).id)
      const first = ids[0]
      expect(ids.filter((id) => id === first).length).toBeGreaterThanOrEqual(2)
      expect(new Set(ids)).toEqual(sim.acked())
    } finally {
      await slow.close()
    }
  })
})
