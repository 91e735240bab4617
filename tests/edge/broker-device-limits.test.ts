/**
 * Issue 11, finding 8: one device secret opened any number of sessions under
 * random client ids, and nothing bounded how fast one device could write to
 * the outbox. Real MQTT clients against the real edge broker.
 */
process.env.LOG_LEVEL ??= 'silent'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { topics } from '../../protocol/topics.js'
import { waitFor } from '../../testkit/wait.js'
import { startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { testSite } from '../support/edge-site.js'

const SITE = 'ct-center'
/** testSite's broker section, to which a test adds its rate. */
const BROKER = { host: '127.0.0.1', mqttPort: 0, wsPort: 0 }
let h: BrokerHarness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

const rating = (i: number) => JSON.stringify({ v: 1, id: `press-${String(i).padStart(6, '0')}`, ts: Date.now(), scale: 4, level: 1 })

describe('one session per device (issue 11, finding 8)', () => {
  it('a second connection with the same device credential replaces the first, whose will says nothing', async () => {
    const { config, devices } = testSite()
    h = await startTestBroker(config)
    const will = { topic: topics.status(SITE, 'q1', devices.k1!.id), payload: Buffer.from(JSON.stringify({ v: 1, online: false })), qos: 1 as const, retain: true }
    const first = await h.connect(devices.k1!, { clientId: 'kiosk-1-tab-a', will })
    const second = await h.connect(devices.k1!, { clientId: 'kiosk-1-tab-b', will })
    await waitFor('the first session closed', () => !first.connected)
    expect(h.broker.connectedClients()).toBe(1)
    expect(h.broker.stats.sessionsReplaced).toBe(1)
    await second.publishAsync(topics.rating(SITE, 'q1'), rating(1), { qos: 1 })
    expect(h.outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['press-000001'])
    // The replaced session neither published its will nor recorded the device offline.
    expect(h.outbox.ofKind('device_status')).toEqual([])
  })

  it('one credential cannot open many sessions under random client ids', async () => {
    const { config, devices } = testSite()
    h = await startTestBroker(config)
    const clients: MqttClient[] = []
    for (let i = 0; i < 5; i++) clients.push(await h.connect(devices.b1!, { clientId: `random-${i}` }))
    await waitFor('only the newest session left', () => h!.broker.connectedClients() === 1 && clients.filter((c) => c.connected).length === 1)
    expect(clients.map((c) => c.connected)).toEqual([false, false, false, false, true])
  })
})

describe('per-device message rate (issue 11, finding 8)', () => {
  it('1000 presses in a burst from one device: bounded in the outbox, the rest held or refused with EDGE_RATE_LIMITED and never acknowledged unless stored', async () => {
    const rate = { perSecond: 20, burst: 50, maxHeld: 10 }
    const { config, devices } = testSite({ broker: { ...BROKER, deviceRate: rate } })
    h = await startTestBroker(config)
    const kiosk = devices.k1!
    const client = await h.connect(kiosk)
    await client.subscribeAsync(topics.down(SITE, 'q1', kiosk.id, 'error'), { qos: 1 })
    const replies: { code: string; id?: string; message: string }[] = []
    client.on('message', (_t, payload) => replies.push(JSON.parse(payload.toString('utf8')) as { code: string; id?: string; message: string }))
    const acked = new Set<string>()
    const unacked = new Set<string>()
    const sent = Array.from({ length: 1000 }, (_, i) => {
      const id = `press-${String(i).padStart(6, '0')}`
      return client.publishAsync(topics.rating(SITE, 'q1'), rating(i), { qos: 1 }).then(() => acked.add(id), () => unacked.add(id))
    })
    await waitFor('the refusal on the error topic', () => replies.find((r) => r.code === 'EDGE_RATE_LIMITED'))
    await waitFor('the connection closed for the rate', () => !client.connected)
    client.end(true)
    await Promise.all(sent)
    // Held publishes finish before the broker stops: wait until the outbox stops growing at the bound.
    await waitFor('the held presses stored', () => h!.outbox.ofKind('rating').length === rate.burst + rate.maxHeld)

    const stored = new Set(h.outbox.ofKind('rating').map((r) => r.eventId))
    expect(stored.size).toBe(rate.burst + rate.maxHeld)
    // No PUBACK without the rating stored: whatever was not stored, the device still holds and resends.
    expect([...acked].filter((id) => !stored.has(id))).toEqual([])
    expect(acked.size + unacked.size).toBe(1000)
    const refusal = replies.find((r) => r.code === 'EDGE_RATE_LIMITED')!
    expect(refusal.message).toMatch(/messages\/s from this device; not acknowledged/)
    expect(unacked.has(refusal.id!)).toBe(true)
    expect(h.broker.stats.rateHeld).toBe(rate.maxHeld)
    expect(h.broker.stats.rejected.EDGE_RATE_LIMITED).toBe(1)
    // Held presses are flagged by the misuse rules they break, not dropped (docs/misuse.md).

    // The device comes back at a person's pace and its presses are taken again, once the bucket refilled.
    h.clock.advance(60_000)
    const again = await h.connect(kiosk)
    await again.publishAsync(topics.rating(SITE, 'q1'), rating(999), { qos: 1 })
    await waitFor('the resent press stored', () => h!.outbox.ofKind('rating').some((r) => r.eventId === 'press-000999'))
  })

  it('other devices are not slowed by one device over its rate', async () => {
    const { config, devices } = testSite({ broker: { ...BROKER, deviceRate: { perSecond: 1, burst: 5, maxHeld: 2 } } })
    h = await startTestBroker(config)
    const noisy = await h.connect(devices.k1!)
    const calm = await h.connect(devices.k2!)
    for (let i = 0; i < 50; i++) noisy.publish(topics.rating(SITE, 'q1'), rating(i), { qos: 1 })
    await waitFor('the noisy device cut off', () => !noisy.connected)
    await calm.publishAsync(topics.rating(SITE, 'q2'), rating(500), { qos: 1 })
    expect(h.outbox.ofKind('rating').filter((r) => r.device === devices.k2!.id).map((r) => r.eventId)).toEqual(['press-000500'])
  })
})
