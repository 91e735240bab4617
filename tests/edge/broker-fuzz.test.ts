process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { ERRORS } from '../../common/errors.js'
import { topics } from '../../protocol/topics.js'
import { testSite, type TestDevice } from '../support/edge-site.js'
import { startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { waitFor } from '../../testkit/wait.js'
import { fuzzCase, rng, validRating, type FuzzCase } from '../support/fuzz-payloads.js'

const SITE = 'ct-center'
const MESSAGES = 5000
const IN_FLIGHT = 50

describe('edge broker fuzz', () => {
  let h: BrokerHarness
  let devices: Record<string, TestDevice>
  beforeAll(async () => {
    // 5000 payloads from one device as fast as the socket takes them: no person's rate, so the rate limit is lifted here.
    const site = testSite({ broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0, deviceRate: { perSecond: 1e6, burst: 1e6, maxHeld: 0 } } })
    devices = site.devices
    h = await startTestBroker(site.config)
  })
  afterAll(async () => {
    await h.close()
  })

  it(`${MESSAGES} random payloads interleaved with valid ratings: each invalid one answered with a code, each valid one stored once`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
    const r = rng(seed)
    const config = h.site.config
    const shape = { scale: config.scale, reasons: config.reasons.map((x) => x.id) }
    const fuzzer = await h.connect(devices.k1!)
    const bystander = await h.connect(devices.k2!)
    const replies: { code: string }[] = []
    fuzzer.on('message', (_t, payload) => replies.push(JSON.parse(payload.toString()) as { code: string }))
    await fuzzer.subscribeAsync(topics.down(SITE, 'q1', 'kiosk-1', 'error'), { qos: 1 })

    const cases: FuzzCase[] = []
    const bystanderIds: string[] = []
    const send = (client: MqttClient, topic: string, payload: Buffer) => client.publishAsync(topic, payload, { qos: 1 })
    for (let i = 0; i < MESSAGES; i += IN_FLIGHT) {
      const batch: Promise<unknown>[] = []
      for (let j = i; j < Math.min(i + IN_FLIGHT, MESSAGES); j++) {
        const c = fuzzCase(r, shape)
        cases.push(c)
        batch.push(send(fuzzer, topics.rating(SITE, 'q1'), c.payload))
        if (j % 10 === 0) {
          const m = validRating(r, shape)
          bystanderIds.push(m.id as string)
          batch.push(send(bystander, topics.rating(SITE, 'q2'), Buffer.from(JSON.stringify(m))))
        }
      }
      await Promise.all(batch) // every message, valid or not, was acknowledged
    }
    const invalid = cases.filter((c) => !c.valid).length
    await waitFor(`${invalid} error replies (seed ${seed})`, () => replies.length >= invalid)
    expect(replies).toHaveLength(invalid)
    for (const reply of replies) expect(ERRORS).toHaveProperty(reply.code)
    expect(h.broker.stats.rejectedTotal).toBe(invalid)

    const stored = h.outbox.ofKind('rating')
    const validIds = cases.filter((c) => c.valid).map((c) => c.eventId)
    expect(stored.filter((x) => x.device === 'kiosk-1').map((x) => x.eventId)).toEqual(validIds)
    expect(stored.filter((x) => x.device === 'kiosk-2').map((x) => x.eventId).sort()).toEqual([...bystanderIds].sort())
    expect(new Set(stored.map((x) => `${x.device}:${x.eventId}`)).size).toBe(stored.length)
    expect(fuzzer.connected && bystander.connected).toBe(true)
    expect(validIds.length).toBeGreaterThan(MESSAGES / 10)
  })
})
